/**
 * Binds the listen address: the OS-assigned port, a strict fixed port, or
 * the first free port of a range; and, on loopback, the same port on `[::1]`
 * too, so a client whose `localhost` resolves to `::1` still connects.
 *
 * @module
 */

import { BindError } from "../shared/errors.ts";
import type { ListenAddr } from "./listen_addr.ts";

/** A request handler as `Deno.serve` takes it. */
export type Handler = Deno.ServeHandler<Deno.NetAddr>;

/** A started server. */
export type Server = Deno.HttpServer<Deno.NetAddr>;

/** The bound servers and the port they share. */
export interface Bound {
  /** The port every server listens on. */
  port: number;
  /** The primary server first, then the `[::1]` companion if any. */
  servers: Server[];
}

/** How often an OS-assigned port is drawn again when `[::1]` has it taken. */
const COMPANION_ATTEMPTS = 5;

/**
 * Binds `addr` and serves `handler` on it. `Deno.serve` binds synchronously,
 * so a busy port is known at once.
 *
 * @param warn Called with a message when the `[::1]` companion cannot share
 * a fixed port.
 * @throws {BindError} When the port (or every port of the range) is busy or
 * the address cannot be bound.
 */
export function bind(
  addr: ListenAddr,
  handler: Handler,
  warn: (msg: string) => void = () => {},
): Bound {
  for (const port of addr.ports) {
    // Port 0: when [::1] has the drawn port taken, draw again. A range moves
    // on to its next port. A fixed port keeps IPv4 and says so.
    const tries = port === 0 ? COMPANION_ATTEMPTS : 1;
    for (let attempt = 1; attempt <= tries; attempt++) {
      const primary = listenOn(addr.hostname, port, handler, true);
      if (primary === "busy") break;
      const bound = primary.addr.port;
      if (addr.hostname !== "127.0.0.1") {
        return { port: bound, servers: [primary] };
      }
      const companion = listenOn("::1", bound, handler, false);
      if (companion === "unavailable") {
        return { port: bound, servers: [primary] };
      }
      if (companion !== "busy") {
        return { port: bound, servers: [primary, companion] };
      }
      if (attempt < tries || addr.isRange) {
        void primary.shutdown();
        continue;
      }
      warn(`Port ${bound} is taken on [::1]; serving on 127.0.0.1 only`);
      return { port: bound, servers: [primary] };
    }
  }
  if (addr.isRange) {
    throw new BindError(
      `Cannot listen on ${addr.text}: every port of the range is in use; free one or choose another range`,
    );
  }
  throw new BindError(
    `Cannot listen on ${addr.text}: port ${
      addr.ports[0]
    } is in use; stop what uses it or listen on :0`,
  );
}

/**
 * Starts a server on `hostname:port`.
 *
 * @param required When `true`, an address that cannot be bound for another
 * reason than a busy port is a {@linkcode BindError}; when `false` (the
 * optional `[::1]` companion, e.g. without IPv6) it is `"unavailable"`.
 */
function listenOn(
  hostname: string,
  port: number,
  handler: Handler,
  required: true,
): Server | "busy";
function listenOn(
  hostname: string,
  port: number,
  handler: Handler,
  required: false,
): Server | "busy" | "unavailable";
function listenOn(
  hostname: string,
  port: number,
  handler: Handler,
  required: boolean,
): Server | "busy" | "unavailable" {
  try {
    return Deno.serve({ hostname, port, handler, onListen() {} });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return "busy";
    if (!required) return "unavailable";
    const why = err instanceof Deno.errors.PermissionDenied
      ? "permission denied (ports below 1024 need privileges)"
      : err instanceof Deno.errors.AddrNotAvailable
      ? "no interface has this address"
      : (err as Error).message.split("\n", 1)[0];
    throw new BindError(`Cannot listen on ${hostname}:${port}: ${why}`);
  }
}
