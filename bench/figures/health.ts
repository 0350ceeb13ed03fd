/**
 * Figure `health`: `GET /health` requests per second under 32 keep-alive
 * connections, pryx-core against a bare `Deno.serve`
 * (`bench/baselines/ready.ts`), with the server's CPU time per request (`/proc/PID/stat`),
 * which varies less from run to run than throughput on a shared machine.
 * The load is `wrk` when installed (`apt-get install -y wrk`; the bench
 * never installs it), else `bench/http_load.ts`. Goal (SPEC 6a): at least
 * 1.0x.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  type Plan,
  PRYX_SERVE,
  runJson,
  withCpu,
  withServer,
} from "../_bench.ts";
import { baselineCommand, scriptCommand } from "../_proc.ts";

/** How to get `wrk`, for the messages that ask for it. */
export const WRK_INSTALL = "apt-get install -y wrk";

/** Whether `wrk` runs here. */
export async function haveWrk(): Promise<boolean> {
  try {
    const out = await new Deno.Command("wrk", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.code === 0 || out.code === 1; // wrk --version exits 1
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Requests per second of `GET /health` on `port` with 32 connections. */
async function loadHealth(
  plan: Plan,
  port: number,
  seconds: number,
): Promise<number> {
  const url = `http://127.0.0.1:${port}/health`;
  if (plan.load === "wrk") {
    const out = await new Deno.Command("wrk", {
      args: ["-t", "2", "-c", "32", "-d", `${seconds}s`, url],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const rate = /Requests\/sec:\s+([\d.]+)/.exec(text);
    const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
    if (out.code !== 0 || rate === null) {
      throw new Error(
        `wrk failed: ${text || new TextDecoder().decode(out.stderr)}`,
      );
    }
    if (bad !== null) throw new Error(`${bad[1]} responses were not 200`);
    return Number(rate[1]);
  }
  const result = await runJson(
    scriptCommand("http_load.ts", [
      "--port",
      String(port),
      "--connections",
      "32",
      "--seconds",
      String(seconds),
    ]),
  );
  if (result.errors > 0) {
    throw new Error(`${result.errors} responses were not 200`);
  }
  return result.rate;
}

/** The health figure and the server CPU per request. */
export const health: Bench = {
  name: "health",
  figures: (plan) => [
    figure("health", `/health (req/s, 32 conns, ${plan.load})`, {
      lowerIsBetter: false,
      ratio: 1.0,
    }),
    figure("health_cpu", "  server CPU per request (us)", {
      lowerIsBetter: true,
    }),
  ],
  async measure(plan, [fig, cpu]) {
    await withServer(
      PRYX_SERVE(),
      (pryx) =>
        withServer(baselineCommand("ready.ts"), async (baseline) => {
          const servers = { pryx, baseline };
          const warm = Math.min(1, plan.httpSeconds);
          await loadHealth(plan, pryx.port, warm);
          await loadHealth(plan, baseline.port, warm);
          await alternate(plan.rounds, fig, (side) =>
            withCpu(
              servers[side].pid,
              plan.httpSeconds,
              cpu,
              side,
              () => loadHealth(plan, servers[side].port, plan.httpSeconds),
            ));
        }),
    );
  },
};
