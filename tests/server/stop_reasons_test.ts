/**
 * Unit tests of the stop reasons: the signals by OS, and one log line per
 * kind, the control route's included.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  describeStopReason,
  listenForStopReasons,
  stopSignals,
} from "../../lib/server/stop_reasons.ts";
import { watchStopSignals } from "../../lib/cli/discover.ts";
import { listenableSignals } from "../../lib/shared/os.ts";

Deno.test("stopSignals: SIGINT, SIGTERM and SIGHUP on Unix-like systems, and SIGBREAK too on Windows", () => {
  assert.deepStrictEqual(stopSignals("linux"), ["SIGINT", "SIGTERM", "SIGHUP"]);
  assert.deepStrictEqual(stopSignals("darwin"), [
    "SIGINT",
    "SIGTERM",
    "SIGHUP",
  ]);
  // Deno 2.8 and later listen for SIGTERM (and SIGHUP, the console window
  // closing) on Windows too.
  assert.deepStrictEqual(stopSignals("windows"), [
    "SIGINT",
    "SIGBREAK",
    "SIGTERM",
    "SIGHUP",
  ]);
  assert.deepStrictEqual(watchStopSignals("windows"), [
    "SIGINT",
    "SIGBREAK",
    "SIGTERM",
  ]);
  assert.deepStrictEqual(watchStopSignals("linux"), ["SIGINT", "SIGTERM"]);
  assert.deepStrictEqual(listenableSignals(["SIGUSR1", "SIGINT"], "windows"), [
    "SIGINT",
    "SIGBREAK",
  ]);
});

Deno.test("describeStopReason names each kind of stop reason in one line", () => {
  assert.match(
    describeStopReason({ kind: "signal", signal: "SIGHUP" }),
    /^Received SIGHUP/,
  );
  assert.match(
    describeStopReason({ kind: "idle", idleMs: 1500 }),
    /--exit-when-idle/,
  );
  assert.match(
    describeStopReason({ kind: "control" }),
    /POST \/control\/shutdown/,
  );
});

Deno.test("the first stop reason wins: a control request after it changes nothing", async () => {
  const reasons = listenForStopReasons();
  try {
    reasons.stop({ kind: "control" });
    reasons.stop({ kind: "idle", idleMs: 1000 });
    assert.deepStrictEqual(await reasons.first, { kind: "control" });
  } finally {
    reasons.remove();
  }
});
