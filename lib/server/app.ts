/**
 * The Hono application: the request count and the security middleware
 * first, then the routes (`/`, `/health`, `/ws`, `/publish/:topic`,
 * `/info`, `/metrics`). Loaded by `serve` only after the port is bound and
 * published.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import {
  formatBytes,
  MAX_MESSAGE_BYTES,
  SERVICE,
  WS_IDLE_TIMEOUT_S,
} from "../shared/config.ts";
import { isoTime } from "../shared/iso_time.ts";
import type { Logger } from "./log.ts";
import { runIdentity, type RuntimeInfo } from "../shared/instance_files.ts";
import { MAX_TOPIC_LENGTH } from "../shared/protocol.ts";
import {
  CHALLENGE_HEX_MAX,
  CHALLENGE_HEX_MIN,
  CHALLENGE_PARAM,
  computeProof,
  isValidChallenge,
  proofKey,
} from "../shared/proof.ts";
import type { StopReason } from "./stop_reasons.ts";
import { readJsonBody } from "./body.ts";
import {
  isHostAllowed,
  isOriginAllowed,
  presentedToken,
  type SecurityPolicy,
  timingSafeEqual,
} from "./security.ts";
import type { WsHub } from "./hub.ts";
import { importLazily } from "../shared/lazy_import.ts";
import {
  METRICS_CONTENT_TYPE,
  renderMetrics,
  type RequestCounts,
  routeLabel,
} from "./metrics.ts";

/** What the routes need from the running server. */
export interface AppState {
  /** The instance metadata (as in `<instance>.json`). */
  info: RuntimeInfo;
  /** The event bus. */
  hub: WsHub;
  /** What to enforce. */
  policy: SecurityPolicy;
  /** `true` once shutdown has begun: `/health` answers 503. */
  draining: () => boolean;
  /** Where request failures are logged (text or JSON lines, as configured). */
  log: Logger;
  /** Bound to loopback only: every peer is a process on this machine. */
  loopback: boolean;
  /** Starts the shutdown, as a signal would (`POST /control/shutdown`). */
  stop: (reason: StopReason) => void;
  /** Requests answered, by route and status (`/metrics`). */
  requests: RequestCounts;
}

const CORS_METHODS = "GET, HEAD, POST, OPTIONS";
const JSON_HEADERS = { "content-type": "application/json" } as const;
const CORS_HEADERS = "Authorization, Content-Type";

/**
 * Builds the application.
 *
 * @returns A fetch handler for `Deno.serve`.
 */
export function createApp(state: AppState): Hono {
  const { info, hub, policy } = state;
  const app = new Hono();

  // Counted first, so a refused request (403, 401) counts too.
  app.use(async (c, next) => {
    await next();
    state.requests.count(routeLabel(c.req.path), c.res.status);
  });
  app.use(guard(policy));

  // The key of the /health proof, imported once (the token never changes).
  const key = proofKey(policy.controlToken);

  app.get("/health", async (c) => {
    const draining = state.draining();
    const report = healthReport(
      info,
      draining ? "shutting_down" : "ok",
      isoTime(),
    );
    const status = draining ? 503 : 200;
    const challenges = c.req.queries(CHALLENGE_PARAM);
    if (challenges === undefined) return c.json(report, status);
    if (challenges.length !== 1 || !isValidChallenge(challenges[0])) {
      return fail(
        c,
        400,
        "bad_challenge",
        `Send ?${CHALLENGE_PARAM}= once, as ${CHALLENGE_HEX_MIN}-${CHALLENGE_HEX_MAX} hex characters`,
      );
    }
    const proof = await computeProof(await key, challenges[0]);
    return c.json({ ...report, proof }, status);
  });

  app.post("/control/shutdown", (c) => {
    const given = presentedToken(c.req.raw, false);
    if (given === undefined || !timingSafeEqual(given, policy.controlToken)) {
      return fail(
        c,
        401,
        "unauthorized",
        "Send the token from the instance file as Authorization: Bearer",
        { "WWW-Authenticate": 'Bearer realm="pryx-core"' },
      );
    }
    state.stop({ kind: "control" });
    return c.json({ status: "shutting_down" }, 202);
  });
  app.all("/control/shutdown", methodNotAllowed("POST"));

  const auth = requireToken(policy);

  app.get("/ws", auth, (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json(
        {
          error: "upgrade_required",
          message: "Connect with a WebSocket client",
        },
        426,
        { Upgrade: "websocket" },
      );
    }
    // Deno's idle timeout pings a silent peer and closes it when no pong
    // comes, at the price of re-arming a timer on every frame received
    // (about 6 % of a relayed event). On, on loopback too: a loopback
    // peer may be a relay (an ssh -L tunnel, a VM or container port
    // forward) whose far side died without a FIN (SPEC 4, heartbeat).
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw, {
      idleTimeout: WS_IDLE_TIMEOUT_S,
    });
    hub.attach(socket);
    return response;
  });

  app.post("/publish/:topic", auth, async (c) => {
    const topic = c.req.param("topic");
    if (topic === "" || topic.length > MAX_TOPIC_LENGTH) {
      return fail(
        c,
        400,
        "bad_topic",
        `Topic must be 1-${MAX_TOPIC_LENGTH} characters`,
      );
    }
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      return fail(
        c,
        415,
        "unsupported_media_type",
        "Send the body as application/json",
      );
    }
    const body = await readJsonBody(c.req.raw, MAX_MESSAGE_BYTES);
    if ("error" in body) {
      return body.error === "too_large"
        ? fail(
          c,
          413,
          "too_large",
          `Body is larger than ${formatBytes(MAX_MESSAGE_BYTES)}`,
        )
        : fail(c, 400, "bad_json", "Body is not valid JSON");
    }
    return c.json({ delivered: hub.publish(topic, body.value) });
  });

  // The metadata, and how many clients and leases the hub has right now
  // (what `list` shows): here rather than in /health, whose fast path
  // answers a body serialised once.
  app.get("/info", auth, (c) => {
    const { token: _token, ...visible } = info;
    return c.json({ ...visible, ...hub.occupancy });
  });

  // The Prometheus exposition (SPEC 4): the token rules of /info.
  app.get("/metrics", auth, (c) =>
    c.body(
      renderMetrics({
        info,
        occupancy: hub.occupancy,
        topics: hub.topics,
        totals: hub.totals,
        requests: state.requests,
        rssBytes: Deno.memoryUsage().rss,
      }),
      200,
      { "content-type": METRICS_CONTENT_TYPE },
    ));

  // The status page (SPEC 4), loaded on its first request. It is for a
  // person's top-level navigation: a foreign Origin (another site's
  // script) gets 403 here even for GET, not only an unreadable answer.
  let page: Promise<typeof import("./status_page.ts")> | undefined;
  app.get("/", async (c) => {
    const origin = c.req.header("origin");
    if (
      origin !== undefined && !isOriginAllowed(origin, policy.allowedOrigins)
    ) {
      return fail(c, 403, "forbidden_origin", "Origin is not allowed");
    }
    page ??= importLazily("./status_page.ts", import.meta.url);
    const { html, headers } = await (await page).renderStatusPage({
      instance: info.instance,
      version: info.version,
      url: info.url,
      uptimeSeconds: hub.status().uptimeSeconds,
      auth: policy.token === undefined ? "none" : "token",
    });
    return c.html(html, 200, headers);
  });

  // A known route asked with another method: 405 with the methods it takes
  // (RFC 9110 section 15.5.6), not 404. Registered after the routes, so
  // only what they did not answer gets here.
  app.all("/", methodNotAllowed("GET, HEAD"));
  app.all("/health", methodNotAllowed("GET, HEAD"));
  app.all("/ws", methodNotAllowed("GET"));
  app.all("/publish/:topic", methodNotAllowed("POST"));
  app.all("/info", methodNotAllowed("GET, HEAD"));
  app.all("/metrics", methodNotAllowed("GET, HEAD"));
  app.notFound((c) => fail(c, 404, "not_found", "No such route"));
  app.onError((err, c) => {
    state.log.log("error", `Request failed: ${err.message}`, {
      method: c.req.method,
      path: c.req.path,
    });
    return fail(c, 500, "internal", "Internal error");
  });
  return app;
}

/**
 * The hot path of `GET /health` without the router: answers exactly what
 * the Hono route answers, for the common request only (GET, path
 * `/health`, no `Origin`, a loopback `Host` where checked, not draining).
 * Everything else, including a refused Host, returns `undefined` and goes
 * through the app, so the checks and answers stay in one place.
 *
 * @returns A function that answers the request or returns `undefined`.
 */
export function healthFastPath(
  state: AppState,
): (req: Request, overSocket: boolean) => Response | undefined {
  const { info, policy, requests } = state;
  // The route's body, serialised once with the timestamp spliced in.
  const [head, tail] = JSON.stringify(healthReport(info, "ok", "<timestamp>"))
    .split('"<timestamp>"');
  // Formatting the date is most of the work: do it once per millisecond.
  let bodyAt = 0;
  let body = "";
  return (req, overSocket) => {
    const url = req.url;
    const path = url.indexOf("/", url.indexOf("//") + 2);
    if (
      path < 0 || url.length - path !== 7 || !url.endsWith("/health") ||
      req.method !== "GET" || state.draining()
    ) return undefined;
    const headers = req.headers;
    if (headers.has("origin")) return undefined;
    if (
      policy.checkHost && !overSocket &&
      !isHostAllowed(headers.get("host"), policy.allowedHosts)
    ) {
      return undefined;
    }
    const now = Date.now();
    if (now !== bodyAt) {
      bodyAt = now;
      body = `${head}"${isoTime(now)}"${tail}`;
    }
    requests.healthFast++;
    return new Response(body, { headers: JSON_HEADERS });
  };
}

/** The body of `/health`, for the route and its fast path. */
function healthReport(
  info: RuntimeInfo,
  status: "ok" | "shutting_down",
  timestamp: string,
) {
  return {
    status,
    timestamp,
    service: SERVICE,
    ...runIdentity(info),
  };
}

/**
 * Whether a request came over the Unix socket: `Deno.serve` hands the
 * connection's info to the app as its `env`. No browser can reach a
 * socket, so the DNS-rebinding check (`Host`) does not apply there (SPEC
 * 4); the socket file's 0600 mode keeps other users out.
 */
function isOverSocket(env: unknown): boolean {
  return (env as Partial<Deno.ServeHandlerInfo<Deno.Addr>> | undefined)
    ?.remoteAddr?.transport === "unix";
}

/**
 * Host check (not over the socket), Origin check and CORS, in that order,
 * for every request.
 */
function guard(policy: SecurityPolicy): MiddlewareHandler {
  return async (c, next) => {
    if (
      policy.checkHost && !isOverSocket(c.env) &&
      !isHostAllowed(c.req.header("host") ?? null, policy.allowedHosts)
    ) {
      return fail(
        c,
        403,
        "forbidden_host",
        "Host is not a loopback name of this runtime; start it with --allow-host NAME to accept another",
      );
    }
    const origin = c.req.header("origin") ?? null;
    if (origin === null) return await next();
    const method = c.req.method;
    const allowed = isOriginAllowed(origin, policy.allowedOrigins);
    const isUpgrade = c.req.header("upgrade") !== undefined;
    if (!allowed && (method !== "GET" && method !== "HEAD" || isUpgrade)) {
      return fail(c, 403, "forbidden_origin", "Origin is not allowed");
    }
    if (!allowed) return await next();
    if (method === "OPTIONS") {
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_HEADERS,
        "Access-Control-Max-Age": "600",
        Vary: "Origin",
      });
    }
    await next();
    if (!isUpgrade) {
      c.res.headers.set("Access-Control-Allow-Origin", origin);
      c.res.headers.append("Vary", "Origin");
    }
  };
}

/** Refuses with 401 unless the request presents the token (when auth is on). */
function requireToken(policy: SecurityPolicy): MiddlewareHandler {
  return async (c, next) => {
    if (policy.token !== undefined) {
      const given = presentedToken(c.req.raw, c.req.path === "/ws");
      if (given === undefined || !timingSafeEqual(given, policy.token)) {
        return fail(
          c,
          401,
          "unauthorized",
          "Send the token from the instance file as Authorization: Bearer",
          { "WWW-Authenticate": 'Bearer realm="pryx-core"' },
        );
      }
    }
    await next();
  };
}

/** The 405 answer of a route that takes only the methods of `allow`. */
function methodNotAllowed(allow: string): (c: Context) => Response {
  return (c) =>
    fail(c, 405, "method_not_allowed", `Use ${allow.replace(", ", " or ")}`, {
      Allow: allow,
    });
}

function fail(
  c: Context,
  status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 500,
  error: string,
  message: string,
  headers?: Record<string, string>,
) {
  return c.json({ error, message }, status, headers);
}
