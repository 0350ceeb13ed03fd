/**
 * Binds the listen address: the OS-assigned port, a strict fixed port, or
 * the first free port of a range; and, on loopback, the same port on `[::1]`
 * too, so a client whose `localhost` resolves to `::1` still connects.
 *
 * @module
 */

import { BindError } from "./errors.ts";
import type { ListenAddr } from "./listen_addr.ts";

/** A request handler as `Deno.serve` takes it. */
export type Handler = Deno.ServeHandler<Deno.NetAddr>;

/** The bound servers and the port they share. */
export interface Bound {
  /** The port every server listens on. */
  port: number;
  /** The primary server first, then the `[::1]` companion if any. */
  servers: Deno.HttpServer<Deno.NetAddr>[];
}

/** How often an OS-assigned port is drawn again when `[::1]` has it taken. */
const COMPANION_ATTEMPTS = 5;

/**
 * Binds `addr` and serves `handler` on it.
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
  const wantsCompanion = addr.hostname === "127.0.0.1";
  for (const port of addr.ports) {
    for (let attempt = 0; attempt < COMPANION_ATTEMPTS; attempt++) {
      const primary = tryServe(addr.hostname, port, handler);
      if (primary === undefined) break; // busy: next port of the range
      const bound = primary.addr.port;
      if (!wantsCompanion) return { port: bound, servers: [primary] };
      const companion = tryServe("::1", bound, handler, true);
      if (companion !== null) {
        return {
          port: bound,
          servers: companion ? [primary, companion] : [primary],
        };
      }
      // [::1] has this port taken by someone else.
      if (port === 0 && attempt < COMPANION_ATTEMPTS - 1) {
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
 * Starts a server, returning `undefined` when the port is busy.
 * With `optional` (the companion), returns `false` when the host cannot be
 * bound at all (no IPv6) and `null` when the port is busy.
 */
function tryServe(
  hostname: string,
  port: number,
  handler: Handler,
): Deno.HttpServer<Deno.NetAddr> | undefined;
function tryServe(
  hostname: string,
  port: number,
  handler: Handler,
  optional: true,
): Deno.HttpServer<Deno.NetAddr> | false | null;
function tryServe(
  hostname: string,
  port: number,
  handler: Handler,
  optional = false,
): Deno.HttpServer<Deno.NetAddr> | false | null | undefined {
  try {
    return Deno.serve({ hostname, port, handler, onListen() {} });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      return optional ? null : undefined;
    }
    if (optional) return false;
    const why = err instanceof Deno.errors.PermissionDenied
      ? "permission denied (ports below 1024 need privileges)"
      : err instanceof Deno.errors.AddrNotAvailable
      ? "no interface has this address"
      : (err as Error).message.split("\n", 1)[0];
    throw new BindError(`Cannot listen on ${hostname}:${port}: ${why}`);
  }
}
