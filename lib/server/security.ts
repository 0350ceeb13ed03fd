/**
 * Request checks of the HTTP and WebSocket routes: the `Host` check against DNS
 * rebinding, the `Origin` check against cross-site WebSocket hijacking, and
 * bearer tokens compared in constant time. Pure functions over strings.
 *
 * @module
 */

/** What the server enforces, decided once at start. */
export interface SecurityPolicy {
  /** Refuse requests whose `Host` is not a loopback name (on when bound to loopback). */
  checkHost: boolean;
  /**
   * Host names accepted besides `localhost`, `127.0.0.1`, `[::1]` and
   * `*.localhost`, lower case, without a port: the literal address the
   * runtime is bound to (`127.0.0.2`, `[::1]`) and the `--allow-host` names.
   */
  allowedHosts: ReadonlySet<string>;
  /** Exact origins allowed besides loopback ones (`--allow-origin`). */
  allowedOrigins: ReadonlySet<string>;
  /** The bearer token of the bus (`/ws`, `/publish`, `/info`), when token auth is on. */
  token?: string;
  /** The runtime's token, always required by the control routes. */
  controlToken: string;
}

const LOOPBACK_ORIGIN_RE =
  /^https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/** The loopback names every runtime bound to loopback answers to. */
const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  "localhost",
  "127.0.0.1",
  "[::1]",
]);

/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const DNS_NAME_RE =
  /^(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/;

/**
 * Whether a `Host` header names this runtime on the loopback interface
 * (the defence against DNS rebinding): `localhost`, `127.0.0.1`, `[::1]`,
 * a name under `.localhost` (it resolves to loopback by definition, RFC
 * 6761 section 6.3), or a name of `allowed` (the bound address,
 * `--allow-host`); each with or without a port.
 *
 * @param allowed Lower-case names without a port (see
 * {@linkcode normaliseAllowedHost}).
 */
export function isHostAllowed(
  host: string | null,
  allowed: ReadonlySet<string> = new Set(),
): boolean {
  const name = hostName(host);
  if (name === undefined) return false;
  return LOOPBACK_NAMES.has(name) || allowed.has(name) ||
    (name.endsWith(".localhost") && DNS_NAME_RE.test(name));
}

/**
 * The name part of a `Host` header, lower case: `"[::1]:80"` → `"[::1]"`,
 * `"App.localhost"` → `"app.localhost"`; `undefined` when the header is
 * missing or not `name[:port]` (RFC 9110 section 7.2).
 */
function hostName(host: string | null): string | undefined {
  if (host === null || host === "") return undefined;
  let name = host;
  let port: string | undefined;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close < 0) return undefined;
    name = host.slice(0, close + 1);
    const rest = host.slice(close + 1);
    if (rest !== "") {
      if (rest[0] !== ":") return undefined;
      port = rest.slice(1);
    }
    if (!/^\[[0-9a-f:.]+\]$/i.test(name)) return undefined;
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (!/^[a-z0-9.-]+$/i.test(name)) return undefined;
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
  return name.toLowerCase();
}

/**
 * Turns an `--allow-host` / `PRYX_ALLOW_HOSTS` value into the form
 * {@linkcode isHostAllowed} compares: lower case, IPv6 in brackets, no port.
 *
 * @returns The name, or `undefined` when it is not a host name or IP
 * literal (a URL, a port, a wildcard, spaces).
 */
export function normaliseAllowedHost(value: string): string | undefined {
  const text = value.trim().toLowerCase();
  if (text.includes(":") && !text.startsWith("[")) {
    // A bare IPv6 literal: bracket it, as it appears in a Host header.
    return /^[0-9a-f:.]+$/.test(text) ? `[${text}]` : undefined;
  }
  const name = hostName(text);
  return name !== undefined && name === text ? name : undefined;
}

/**
 * Whether a request with this `Origin` may open a WebSocket or POST.
 * A missing origin (CLIs, TUIs) passes; so do loopback origins and the
 * listed ones. `null` and everything else fail.
 */
export function isOriginAllowed(
  origin: string | null,
  allowed: ReadonlySet<string>,
): boolean {
  return origin === null || LOOPBACK_ORIGIN_RE.test(origin) ||
    allowed.has(origin);
}

/**
 * Parses `--allow-origin` values and `PRYX_ALLOW_ORIGINS` entries into
 * normalised origins (`scheme://host[:port]`, no path).
 *
 * @returns The origin, or `undefined` when the value is not an origin.
 */
export function normaliseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    if (url.pathname !== "/" || url.search || url.hash || url.username) {
      return undefined;
    }
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * A fresh token of 256 random bits, base64url-encoded (43 characters): more
 * than the 192 bits a token must carry.
 */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/**
 * The token a request presents: `Authorization: Bearer X`, or, where
 * `allowQuery` (the WebSocket upgrade, which browsers cannot give headers),
 * `?token=X`.
 */
export function presentedToken(
  req: Request,
  allowQuery: boolean,
): string | undefined {
  const auth = req.headers.get("authorization");
  if (auth !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return match?.[1];
  }
  if (!allowQuery) return undefined;
  return new URL(req.url).searchParams.get("token") ?? undefined;
}

/**
 * Compares two strings in time that depends only on their lengths, so a
 * wrong token's prefix cannot be found by timing.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) {
    diff |= x[i] ^ (y[i % (y.length || 1)] ?? 0);
  }
  return diff === 0;
}
