/**
 * Binds the listen address: the OS-assigned port, a strict fixed port, or
 * the first free port of a range; and, on loopback, the same port on `[::1]`
 * too, so a client whose `localhost` resolves to `::1` still connects.
 *
 * @module
 */

import { BindError, isMissingPermission } from "../shared/errors.ts";
import type { ListenAddr } from "./listen_addr.ts";
import {
  classifyBindError,
  counterpartHeld,
  reservedPortMessage,
} from "./port_sharing.ts";

/**
 * A request handler as `Deno.serve` takes it, for TCP and for the Unix
 * socket (`socket_listener.ts`) alike.
 */
export type Handler = Deno.ServeHandler<Deno.NetAddr | Deno.UnixAddr>;

/** A started server. */
export type Server = Deno.HttpServer<Deno.NetAddr>;

/** The bound servers and the port they share. */
export interface Bound {
  /** The port every server listens on. */
  port: number;
  /** The primary server first, then the `[::1]` companion if any. */
  servers: Server[];
  /**
   * Binds server `index` again, on its address and port with its handler,
   * and puts the new server in its place (see `keep_accepting.ts`).
   *
   * @throws {Deno.errors.AddrInUse} While the old listener is not gone yet;
   * any other bind error as `Deno.serve` throws it.
   */
  reopen(index: number): Server;
}

/** How often an OS-assigned port is drawn again when `[::1]` has it taken. */
const COMPANION_ATTEMPTS = 5;

/**
 * Binds `addr` and serves `handler` on it. `Deno.serve` binds synchronously,
 * so a busy port is known at once.
 *
 * @throws {BindError} When the port (or every port of the range) is busy,
 * also when it is free on 127.0.0.1 but taken on `[::1]`, or the address
 * cannot be bound.
 */
export function bind(
  addr: ListenAddr,
  handler: Handler,
): Bound {
  let reserved = 0;
  for (const port of addr.ports) {
    // Port 0: when [::1] has the drawn port taken, draw again. A range moves
    // on to its next port. A fixed port is busy.
    const tries = port === 0 ? COMPANION_ATTEMPTS : 1;
    for (let attempt = 1; attempt <= tries; attempt++) {
      const primary = listenOn(addr.hostname, port, handler, true);
      if (primary === "reserved" && !addr.isRange) {
        throw new BindError(reservedPortMessage(addr.text, port));
      }
      if (primary === "reserved") reserved++;
      if (primary === "busy" || primary === "reserved") break;
      const bound = primary.addr.port;
      // macOS and Windows let this bind succeed while another process holds
      // the port on the wildcard (or, for a wildcard bind, on loopback).
      if (counterpartHeld(addr.hostname, port)) {
        void primary.shutdown();
        break;
      }
      if (addr.hostname !== "127.0.0.1") {
        return boundOf(addr.hostname, bound, [primary], handler);
      }
      const companion = listenOn("::1", bound, handler, false);
      // Reserved on [::1] (Windows): nobody else can take it there either.
      if (companion === "unavailable" || companion === "reserved") {
        return boundOf(addr.hostname, bound, [primary], handler);
      }
      if (companion !== "busy") {
        return boundOf(addr.hostname, bound, [primary, companion], handler);
      }
      // Another program has this port on [::1] only: clients whose
      // localhost resolves to ::1 would reach it, so the port is busy. An
      // OS-assigned port is drawn again; a range moves on.
      void primary.shutdown();
      if (attempt < tries || addr.isRange) continue;
      throw new BusyPortError(addr.text, bound, "[::1]");
    }
  }
  if (addr.isRange) {
    throw new BindError(
      `Cannot listen on ${addr.text}: every port of the range is in use${
        reserved > 0
          ? ` (${reserved} of them in ranges Windows reserves or excludes, os error 10013)`
          : ""
      }; free one or choose another range`,
    );
  }
  throw new BusyPortError(addr.text, addr.ports[0]);
}

/**
 * A strict port that is busy (on `[::1]` alone, when `on` says so): a
 * {@linkcode BindError} whose words `port_holder.ts` makes, with the
 * process that holds it, once the bind has failed (`describeBusyPort`):
 * that module is not loaded on the start-up path.
 */
export class BusyPortError extends BindError {
  /**
   * @param text The listen address as given.
   * @param port The busy port.
   * @param on The address it is taken on, when that is news (`[::1]`).
   */
  constructor(
    readonly text: string,
    readonly port: number,
    readonly on?: string,
  ) {
    super(
      `Cannot listen on ${text}: port ${port} is in use; stop it or listen on :0`,
    );
  }
}

/** `Deno.serve` of `handler` on `hostname:port`, without its listen line. */
function serveOn(hostname: string, port: number, handler: Handler): Server {
  return Deno.serve({ hostname, port, handler, onListen() {} });
}

/** The {@linkcode Bound} of `servers` on `hostname:port` (then `[::1]`). */
function boundOf(
  hostname: string,
  port: number,
  servers: Server[],
  handler: Handler,
): Bound {
  const hostnames = [hostname, "::1"];
  return {
    port,
    servers,
    reopen(index) {
      const server = serveOn(hostnames[index], port, handler);
      servers[index] = server;
      return server;
    },
  };
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
): Server | "busy" | "reserved";
function listenOn(
  hostname: string,
  port: number,
  handler: Handler,
  required: false,
): Server | "busy" | "reserved" | "unavailable";
function listenOn(
  hostname: string,
  port: number,
  handler: Handler,
  required: boolean,
): Server | "busy" | "reserved" | "unavailable" {
  try {
    return serveOn(hostname, port, handler);
  } catch (err) {
    if (isMissingPermission(err)) throw err;
    const failure = classifyBindError(err);
    if (failure !== "other") return failure;
    if (!required) return "unavailable";
    const why = err instanceof Deno.errors.PermissionDenied
      ? "permission denied (ports below 1024 need privileges)"
      : err instanceof Deno.errors.AddrNotAvailable
      ? "no interface has this address"
      : (err as Error).message.split("\n", 1)[0];
    throw new BindError(`Cannot listen on ${hostname}:${port}: ${why}`);
  }
}
