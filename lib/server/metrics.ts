/**
 * `GET /metrics`: the runtime's figures in the Prometheus text exposition
 * format 0.0.4 (what `promtool check metrics` accepts), with names and
 * units as the Prometheus naming conventions say (`_total` for counters,
 * `_seconds`, `_bytes`). Everything here is a counter the hub already
 * keeps or a plain integer increment: no timer, no histogram, nothing on
 * the hot path but `n++`.
 *
 * @module
 */

import type { RuntimeInfo } from "../shared/instance_files.ts";
import type { HubTotals } from "./hub.ts";
import type { Occupancy } from "../shared/occupancy.ts";

/** The `Content-Type` of the text exposition format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The `route` label of a request path: one of the routes of SPEC 4, or
 * `other` for any path no route answers (404s), so a scan of random paths
 * cannot grow the label set without bound.
 */
export type RouteLabel =
  | "/"
  | "/health"
  | "/ws"
  | "/publish/:topic"
  | "/info"
  | "/metrics"
  | "/control/shutdown"
  | "other";

const EXACT_ROUTES: ReadonlySet<string> = new Set<RouteLabel>([
  "/",
  "/health",
  "/ws",
  "/info",
  "/metrics",
  "/control/shutdown",
]);

/** The {@linkcode RouteLabel} of a request path (`/publish/x` → `/publish/:topic`). */
export function routeLabel(path: string): RouteLabel {
  if (EXACT_ROUTES.has(path)) return path as RouteLabel;
  if (path.startsWith("/publish/")) return "/publish/:topic";
  return "other";
}

/**
 * HTTP requests answered, by route and status. The `/health` fast path
 * bumps {@linkcode healthFast} (one integer, no map lookup); everything
 * the app answers goes through {@linkcode count}.
 */
export class RequestCounts {
  /** `GET /health` answered 200 by the fast path. */
  healthFast = 0;
  readonly #counts = new Map<string, number>();

  /** Counts one answer of `route` with `status`. */
  count(route: RouteLabel, status: number): void {
    const key = `${route} ${status}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Every (route, status, count), the fast path folded into `/health 200`. */
  entries(): { route: RouteLabel; status: number; count: number }[] {
    const all = new Map(this.#counts);
    if (this.healthFast > 0) {
      all.set("/health 200", (all.get("/health 200") ?? 0) + this.healthFast);
    }
    return [...all].map(([key, count]) => {
      const space = key.lastIndexOf(" ");
      return {
        route: key.slice(0, space) as RouteLabel,
        status: Number(key.slice(space + 1)),
        count,
      };
    }).sort((a, b) =>
      a.route < b.route ? -1 : a.route > b.route ? 1 : a.status - b.status
    );
  }
}

/** What one exposition is made of, read at the time of the request. */
export interface MetricsSnapshot {
  /** The instance metadata (version, protocol, start time). */
  info: RuntimeInfo;
  /** Clients and leases now. */
  occupancy: Occupancy;
  /** Topics with subscribers now. */
  topics: number;
  /** The hub's counts since start. */
  totals: HubTotals;
  /** Requests by route and status. */
  requests: RequestCounts;
  /** Resident set size of this process, in bytes. */
  rssBytes: number;
}

/** One metric family: its name, type, help text and samples. */
interface Family {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: { labels?: Record<string, string>; value: number }[];
}

/**
 * The exposition of `snapshot`: for each family a `# HELP` and a `# TYPE`
 * line, then its samples; label values escaped as the format says
 * (backslash, double quote, newline).
 */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const { info, occupancy, totals } = snapshot;
  const families: Family[] = [
    {
      name: "pryx_core_build_info",
      type: "gauge",
      help: "The version and protocol of this runtime; always 1.",
      samples: [{
        labels: { version: info.version, protocol: String(info.protocol) },
        value: 1,
      }],
    },
    {
      name: "process_start_time_seconds",
      type: "gauge",
      help: "Start time of the process since the Unix epoch, in seconds.",
      samples: [{ value: Date.parse(info.startedAt) / 1000 }],
    },
    {
      name: "process_resident_memory_bytes",
      type: "gauge",
      help: "Resident memory size, in bytes.",
      samples: [{ value: snapshot.rssBytes }],
    },
    {
      name: "pryx_core_http_requests_total",
      type: "counter",
      help: "HTTP requests answered, by route and status code.",
      samples: snapshot.requests.entries().map((e) => ({
        labels: { route: e.route, status: String(e.status) },
        value: e.count,
      })),
    },
    {
      name: "pryx_core_websocket_clients",
      type: "gauge",
      help: "WebSocket clients connected now.",
      samples: [{ value: occupancy.clients }],
    },
    {
      name: "pryx_core_leases",
      type: "gauge",
      help: "Leases held now, over all clients.",
      samples: [{ value: occupancy.leases }],
    },
    {
      name: "pryx_core_topics",
      type: "gauge",
      help: "Topics with at least one subscriber now.",
      samples: [{ value: snapshot.topics }],
    },
    {
      name: "pryx_core_events_published_total",
      type: "counter",
      help: "Events published, over WebSocket or POST /publish.",
      samples: [{ value: totals.published }],
    },
    {
      name: "pryx_core_events_delivered_total",
      type: "counter",
      help: "Event frames sent to subscribers.",
      samples: [{ value: totals.delivered }],
    },
    {
      name: "pryx_core_slow_consumers_dropped_total",
      type: "counter",
      help: "WebSocket clients disconnected for not reading their events.",
      samples: [{ value: totals.slowDropped }],
    },
  ];
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(
        `${family.name}${formatLabels(sample.labels)} ${
          formatValue(sample.value)
        }`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** `{a="1",b="2"}`, or nothing without labels. */
function formatLabels(labels?: Record<string, string>): string {
  if (labels === undefined) return "";
  const parts = Object.entries(labels).map(([k, v]) =>
    `${k}="${escapeLabelValue(v)}"`
  );
  return `{${parts.join(",")}}`;
}

/**
 * A label value as the text format writes it: `\` → `\\`, `"` → `\"`,
 * newline → `\n`.
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(
    /\n/g,
    "\\n",
  );
}

/** A HELP text as the format writes it: `\` → `\\`, newline → `\n`. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: integers as integers, `NaN` and infinities as the format spells them. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
