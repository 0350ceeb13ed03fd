/**
 * Where the socket layer differs by OS in ways that decide "is this port
 * busy?":
 *
 * - macOS (BSD sockets) and Windows let a specific address such as
 *   `127.0.0.1:P` bind while another process holds the wildcard `*:P`
 *   (`0.0.0.0` or `[::]`), and the other way round; the more specific
 *   listener then takes that address's traffic. So a successful bind does
 *   not mean the port was free: a dev server on `*:8080` would lose its
 *   loopback clients to pryx-core, and "busy means exit 3" would silently
 *   fail. Linux refuses both binds (EADDRINUSE) unless both sockets set
 *   `SO_REUSEPORT`, so there nothing needs checking. Sources: FreeBSD/macOS
 *   `bind(2)` and `ip(4)` on `SO_REUSEADDR` (which Deno sets on Unix
 *   listeners); Microsoft, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE".
 *   The check is one extra bind of the counterpart address, released at
 *   once: when another process holds it, that bind fails with AddrInUse.
 * - Windows refuses ports of its excluded ranges (Hyper-V, WSL and Docker
 *   reserve blocks: `netsh interface ipv4 show excludedportrange
 *   protocol=tcp`) with WSAEACCES, os error 10013, which Deno reports as
 *   `PermissionDenied`: not "needs privileges" as on Unix, but a port to
 *   skip in a range and to name as reserved when it was asked for.
 *
 * @module
 */

import type { Os } from "../shared/os.ts";

/**
 * Whether a successful bind on this OS may still share its port with
 * another process's listener on the counterpart address (specific vs
 * wildcard), so {@linkcode counterpartHeld} must be asked.
 */
export function bindMayShareWithWildcard(os: Os = Deno.build.os): boolean {
  return os !== "linux" && os !== "android";
}

/**
 * The address whose holder would share a port with a listener on
 * `hostname`: the wildcard of its family for a specific address, the
 * loopback of its family for a wildcard.
 */
export function counterpartOf(hostname: string): string {
  const v6 = hostname.includes(":");
  if (hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "::1";
  return v6 ? "::" : "0.0.0.0";
}

/**
 * The addresses to probe after binding `hostname:port`: none on Linux or
 * for an OS-assigned port (the OS picks a port no socket uses); else the
 * counterpart of `hostname`, and for a specific IPv4 address on macOS also
 * the IPv6 wildcard, since a dual-stack `[::]:P` listener (Node's default
 * `listen(P)`) takes IPv4 traffic too there (on Windows `[::]` is
 * IPv6-only). For `[::]` itself on macOS the IPv4 addresses too: Deno sets
 * `SO_REUSEADDR` and never `IPV6_V6ONLY`, so our dual-stack bind succeeds
 * beside another program's `127.0.0.1:P` or `0.0.0.0:P`, and the published
 * `127.0.0.1` URL would reach that program.
 */
export function sharingProbes(
  hostname: string,
  port: number,
  os: Os = Deno.build.os,
): string[] {
  if (port === 0 || !bindMayShareWithWildcard(os)) return [];
  const probes = [counterpartOf(hostname)];
  // Windows' [::] is IPv6-only (IPV6_V6ONLY on by default): no sharing.
  if (os === "windows") return probes;
  if (hostname === "::") probes.push("127.0.0.1", "0.0.0.0");
  else if (hostname !== "0.0.0.0" && !hostname.includes(":")) {
    probes.push("::");
  }
  return probes;
}

/**
 * Whether another process holds `port` on an address that shares it with
 * our listener on `hostname` (see the module doc). Each probe is a bind
 * released at once; an address this machine does not have (no IPv6) does
 * not count.
 *
 * @param listen Binds a listener (injected by tests).
 */
export function counterpartHeld(
  hostname: string,
  port: number,
  os: Os = Deno.build.os,
  listen: (hostname: string, port: number) => { close(): void } = (h, p) =>
    Deno.listen({ hostname: h, port: p }),
): boolean {
  for (const probe of sharingProbes(hostname, port, os)) {
    try {
      listen(probe, port).close();
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) return true;
      // AddrNotAvailable (no IPv6) or anything else: nothing holds it.
    }
  }
  return false;
}

/** Why a bind failed, as far as the port scan is concerned. */
export type BindFailure =
  /** Another socket holds the port: try the next one. */
  | "busy"
  /** Windows excluded or reserved the port (os error 10013): try the next. */
  | "reserved"
  /** Anything else: report it. */
  | "other";

/**
 * Classifies a bind error: AddrInUse is busy everywhere; on Windows a
 * `PermissionDenied` is WSAEACCES (os error 10013), a port in an excluded
 * or reserved range (Windows has no privileged ports).
 */
export function classifyBindError(
  err: unknown,
  os: Os = Deno.build.os,
): BindFailure {
  if (err instanceof Deno.errors.AddrInUse) return "busy";
  if (
    os === "windows" &&
    (err instanceof Deno.errors.PermissionDenied ||
      (err instanceof Error && /os error 10013\b/.test(err.message)))
  ) {
    return "reserved";
  }
  return "other";
}

/** The message for a strict port Windows keeps for itself. */
export function reservedPortMessage(text: string, port: number): string {
  return `Cannot listen on ${text}: port ${port} is in a range Windows reserves or excludes (os error 10013); see "netsh interface ipv4 show excludedportrange protocol=tcp" and choose a port outside those ranges, or listen on :0`;
}
