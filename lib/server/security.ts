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
  /** Exact origins allowed besides loopback ones (`--allow-origin`). */
  allowedOrigins: ReadonlySet<string>;
  /** The bearer token of the bus (`/ws`, `/publish`, `/info`), when token auth is on. */
  token?: string;
  /** The runtime's token, always required by the control routes. */
  controlToken: string;
}

const LOOPBACK_HOST_RE = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;
const LOOPBACK_ORIGIN_RE =
  /^https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i;

/**
 * Whether a `Host` header names this machine's loopback interface:
 * `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
 */
export function isLoopbackHost(host: string | null): boolean {
  return host !== null && LOOPBACK_HOST_RE.test(host);
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
