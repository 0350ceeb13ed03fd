/**
 * Parses a listen address (`--listen`, `PRYX_LISTEN_ADDR`) into the host
 * and the ports to try.
 *
 * @module
 */

import { UsageError } from "../shared/errors.ts";

/** A parsed listen address. */
export interface ListenAddr {
  /** The IP literal to bind (`localhost` becomes `127.0.0.1`). */
  hostname: string;
  /** Ports to try in order; `[0]` means OS-assigned. */
  ports: number[];
  /** `true` when a range was given, so "all busy" names the range. */
  isRange: boolean;
  /** Bound to the loopback interface only. */
  loopback: boolean;
  /** Bound to every interface (`0.0.0.0` or `::`): container mode. */
  allInterfaces: boolean;
  /** The address as the user wrote it, for messages. */
  text: string;
  /** `:3000` was given and rewritten to an OS-assigned port (log it). */
  legacyPort: boolean;
}

/** The legacy fixed port that older configs use, treated as "any port". */
export const LEGACY_PORT = 3000;

/**
 * Parses `text` into a {@linkcode ListenAddr}.
 *
 * Accepted: `0`, `PORT`, `:PORT`, `HOST:PORT`, `[IPV6]:PORT`, with `PORT` a
 * number or a range `A-B`. `:3000` exactly is the legacy default and means an
 * OS-assigned port. A missing host means loopback.
 *
 * @throws {UsageError} For anything else.
 *
 * @example
 * ```ts
 * parseListenAddr(":0").hostname; // "127.0.0.1"
 * parseListenAddr("0.0.0.0:8080").allInterfaces; // true
 * ```
 */
export function parseListenAddr(text: string): ListenAddr {
  const bad = (why: string) =>
    new UsageError(`Cannot parse listen address "${text}": ${why}`);
  if (/^unix:/i.test(text)) {
    // SPEC 3's socket-only address is not built yet: say what there is.
    throw bad(
      'a Unix socket alone ("unix:PATH") is not supported yet; every runtime also serves on its socket <state-dir>/<instance>.sock beside the port ("pryx-core discover --format socket"): listen on a port, e.g. --listen :0',
    );
  }
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) throw bad('missing "]" after the IPv6 address');
    host = text.slice(1, close);
    if (text[close + 1] !== ":") throw bad('expected ":PORT" after "]"');
    portText = text.slice(close + 2);
    if (!isIpv6(host)) throw bad(`"${host}" is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) {
      host = "";
      portText = text;
    } else {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host.includes(":")) {
        throw bad("write IPv6 addresses in brackets, e.g. [::1]:0");
      }
    }
  }
  const { ports, isRange } = parsePorts(portText, bad);
  const legacyPort = host === "" && !isRange && ports[0] === LEGACY_PORT &&
    text === `:${LEGACY_PORT}`;
  if (legacyPort) ports[0] = 0;
  let hostname: string;
  if (host === "" || host === "localhost") hostname = "127.0.0.1";
  else if (isIpv4(host) || isIpv6(host)) hostname = host;
  else {
    throw bad(
      `"${host}" is not an IP address; use an IP literal or localhost`,
    );
  }
  const allInterfaces = hostname === "0.0.0.0" || hostname === "::";
  return {
    hostname,
    ports,
    isRange,
    loopback: isLoopbackIp(hostname),
    allInterfaces,
    text,
    legacyPort,
  };
}

/** `true` for `127.0.0.0/8` and `::1`. */
function isLoopbackIp(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

function parsePorts(
  text: string,
  bad: (why: string) => UsageError,
): { ports: number[]; isRange: boolean } {
  const dash = text.indexOf("-");
  if (dash !== -1 && isDigits(text.slice(0, dash), 5)) {
    const from = Number(text.slice(0, dash));
    const to = Number(text.slice(dash + 1));
    if (
      !isDigits(text.slice(dash + 1), 5) || from < 1 || to > 65535 ||
      from > to
    ) {
      throw bad("a port range must be FROM-TO with 1 <= FROM <= TO <= 65535");
    }
    const ports: number[] = [];
    for (let p = from; p <= to; p++) ports.push(p);
    return { ports, isRange: true };
  }
  if (!isDigits(text, 5) || Number(text) > 65535) {
    throw bad("the port must be a number from 0 to 65535 or a range FROM-TO");
  }
  return { ports: [Number(text)], isRange: false };
}

/**
 * `true` when `text` is 1 to `max` ASCII digits. A loop, not a regex: this
 * runs once per start, where compiling a regex costs more than the check.
 */
function isDigits(text: string, max: number): boolean {
  if (text.length === 0 || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A dotted-quad IPv4 literal, each part 0-255 without leading zeros. */
function isIpv4(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 &&
    parts.every((p) =>
      isDigits(p, 3) && (p.length === 1 || p[0] !== "0") && Number(p) <= 255
    );
}

function isIpv6(host: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(":")) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
}
