/**
 * Unit tests of the `/metrics` exposition (`lib/server/metrics.ts`) and of
 * the strict reader the tests check it with (`tests/_harness/prometheus.ts`):
 * the reader must refuse what the format refuses, or it proves nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  escapeLabelValue,
  renderMetrics,
  RequestCounts,
  routeLabel,
} from "../../lib/server/metrics.ts";
import type { RuntimeInfo } from "../../lib/shared/instance_files.ts";
import { parseExposition, sampleValue } from "../_harness/prometheus.ts";

const INFO = {
  pid: 1,
  port: 1,
  hostname: "127.0.0.1",
  url: "http://127.0.0.1:1",
  wsUrl: "ws://127.0.0.1:1/ws",
  startedAt: "2026-01-02T03:04:05.250Z",
  version: 'odd"ver\\sion\nx',
  instance: "runtime",
  runId: "0".repeat(32),
  protocol: 1,
  token: "t".repeat(43),
  machine: "m",
} as RuntimeInfo;

Deno.test("the exposition passes the strict reader, label values escaped and read back", () => {
  const requests = new RequestCounts();
  requests.count("/info", 200);
  requests.count("/info", 200);
  requests.count("other", 404);
  requests.count("/health", 200);
  requests.healthFast = 5;
  const text = renderMetrics({
    info: INFO,
    occupancy: { clients: 3, leases: 2 },
    topics: 4,
    totals: { published: 7, delivered: 9, slowDropped: 1 },
    requests,
    rssBytes: 1234,
  });
  const m = parseExposition(text);
  assert.deepStrictEqual(
    m.get("pryx_core_build_info")?.samples,
    [{ labels: { version: INFO.version, protocol: "1" }, value: 1 }],
  );
  assert.strictEqual(
    sampleValue(m, "process_start_time_seconds"),
    1767323045.25,
  );
  assert.strictEqual(sampleValue(m, "process_resident_memory_bytes"), 1234);
  const req = "pryx_core_http_requests_total";
  assert.strictEqual(sampleValue(m, req, { route: "/info", status: "200" }), 2);
  assert.strictEqual(
    sampleValue(m, req, { route: "/health", status: "200" }),
    6,
  );
  assert.strictEqual(sampleValue(m, req, { route: "other", status: "404" }), 1);
  assert.strictEqual(sampleValue(m, "pryx_core_websocket_clients"), 3);
  assert.strictEqual(sampleValue(m, "pryx_core_leases"), 2);
  assert.strictEqual(sampleValue(m, "pryx_core_topics"), 4);
  assert.strictEqual(sampleValue(m, "pryx_core_events_published_total"), 7);
  assert.strictEqual(sampleValue(m, "pryx_core_events_delivered_total"), 9);
  assert.strictEqual(
    sampleValue(m, "pryx_core_slow_consumers_dropped_total"),
    1,
  );
  for (const [name, family] of m) {
    assert.notStrictEqual(family.help, "", `${name} has help`);
    if (family.type === "counter") assert.match(name, /_total$/);
  }
});

Deno.test("routeLabel names the routes of SPEC 4 and folds every other path into other", () => {
  assert.strictEqual(routeLabel("/"), "/");
  assert.strictEqual(routeLabel("/metrics"), "/metrics");
  assert.strictEqual(routeLabel("/publish/a.b"), "/publish/:topic");
  assert.strictEqual(routeLabel("/etc/passwd"), "other");
  assert.strictEqual(routeLabel("/health/"), "other");
});

Deno.test("escapeLabelValue escapes backslash, quote and newline as the format says", () => {
  assert.strictEqual(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

Deno.test("the strict reader refuses each broken exposition", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
  assert.strictEqual(sampleValue(parseExposition(ok), "a_total"), 1);
  const broken: [string, RegExp][] = [
    ["# HELP a_total A.\n# TYPE a_total counter\na_total 1", /newline/],
    ["# HELP a A.\n# TYPE a counter\na 1\n", /does not end _total/],
    ["# HELP a_total A.\n# TYPE a_total gauge\na_total 1\n", /ends _total/],
    ["# HELP a A.\na 1\n", /before its TYPE/],
    ["# TYPE a gauge\na 1\n", /before its HELP/],
    ["# HELP a A.\n# TYPE a gauge\n# TYPE a gauge\na 1\n", /second TYPE/],
    ["# HELP a A.\n# TYPE a gauge\na 1\n# HELP a B.\n", /HELP after samples/],
    ["# HELP 1a A.\n# TYPE 1a gauge\n1a 1\n", /bad metric name/],
    ['# HELP a A.\n# TYPE a gauge\na{l="x\\q"} 1\n', /bad label set/],
    ['# HELP a A.\n# TYPE a gauge\na{l="x"y"} 1\n', /bad label set/],
    ['# HELP a A.\n# TYPE a gauge\na{__l="x"} 1\n', /bad label name/],
    ['# HELP a A.\n# TYPE a gauge\na{l="x",l="y"} 1\n', /twice/],
    ["# HELP a A.\n# TYPE a gauge\na one\n", /bad value/],
    ["# HELP a A.\n# TYPE a gauge\na 1\na 2\n", /repeated sample/],
    [
      '# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
      /not contiguous/,
    ],
    [
      "# HELP a A.\n# TYPE a gauge\n# a comment\na 1\n",
      /neither HELP nor TYPE/,
    ],
    ["# HELP a A.\n# TYPE a gauge\n\na 1\n", /not a sample/],
  ];
  for (const [text, why] of broken) {
    assert.throws(() => parseExposition(text), why, JSON.stringify(text));
  }
});
