/**
 * `deno task bench`: pryx-core side by side with bare Deno baselines
 * (`bench/baselines/`), alternating the two over several rounds in one
 * invocation, and printing for each figure the median of each side and
 * their ratio as a markdown table. Each figure is one file of
 * `bench/figures/`; this runner picks them (`--only`), sizes the run and
 * prints the report (`bench/_report.ts`).
 *
 * Flags: `--quick` (fewer rounds, shorter runs, 1,000 idle clients, a few
 * restarts: the smoke test), `--rounds N`, `--only LIST` (figure names,
 * comma-separated), `--load wrk|deno` (the `/health` load; `wrk` when
 * installed, which the bench never does itself), `--json` (also print the
 * figures as one JSON line after the table). Progress goes to stderr, the
 * table to stdout; the exit code is 1 when a figure could not be measured.
 *
 * @example
 * ```sh
 * deno task bench
 * deno task bench --quick
 * deno task bench --only health,pubsub --rounds 9
 * ```
 *
 * @module
 */

import { parseFlags } from "../lib/cli/args.ts";
import { type Bench, type Figure, type Plan, progress } from "./_bench.ts";
import { formatJson, formatReport } from "./_report.ts";
import { client_cpu } from "./figures/client_cpu.ts";
import { clients } from "./figures/clients.ts";
import { discover } from "./figures/discover.ts";
import { discover_socket } from "./figures/discover_socket.ts";
import { fanout } from "./figures/fanout.ts";
import { haveWrk, health, WRK_INSTALL } from "./figures/health.ts";
import { idle_rss } from "./figures/idle_rss.ts";
import { pubsub } from "./figures/pubsub.ts";
import { ready } from "./figures/ready.ts";
import { reconnect } from "./figures/reconnect.ts";
import { restart } from "./figures/restart.ts";

/** Every figure, in the order of the report. */
export const BENCHES: Bench[] = [
  ready,
  discover,
  discover_socket,
  health,
  pubsub,
  fanout,
  idle_rss,
  clients,
  reconnect,
  restart,
  client_cpu,
];

/** Names of figures before they had a file each, still accepted by `--only`. */
const ALIASES: Record<string, string> = {
  idle: "idle_rss",
  clientcpu: "client_cpu",
};

const USAGE =
  `Usage: deno task bench [--quick] [--rounds N] [--only LIST] [--load wrk|deno] [--json]

Runs pryx-core and bare Deno baselines alternately and prints medians and
ratios. LIST: ${BENCHES.map((b) => b.name).join(",")}.`;

/** The sizes of a run. */
function planOf(quick: boolean, rounds: number, load: "wrk" | "deno"): Plan {
  return {
    quick,
    rounds,
    startRounds: quick ? Math.max(rounds, 3) : Math.max(rounds * 4, 20),
    httpSeconds: quick ? 1 : 5, // wrk takes whole seconds
    // --quick shows that every figure can be measured; its WebSocket loads
    // keep both cores busy, so they are short.
    wsSeconds: quick ? 0.5 : 3,
    wsWarmup: quick ? 0.2 : 1,
    fanout: 1000,
    idleClients: quick ? 1000 : 10_000,
    clientRounds: quick ? 1 : 2,
    restarts: quick ? 2 : 3,
    restartSamples: quick ? 3 : 100,
    idleSeconds: quick ? 2 : 10,
    load,
  };
}

/** Runs the bench with command-line `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { flags } = parseFlags(args, {
    quick: "boolean",
    rounds: "string",
    only: "string",
    load: "string",
    json: "boolean",
    help: "boolean",
  }, { h: "help" });
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const names = flags.only?.split(",").map((n) => ALIASES[n] ?? n) ??
    BENCHES.map((b) => b.name);
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`bench: unknown figure "${unknown[0]}"\n${USAGE}`);
    return 2;
  }
  if (
    flags.load !== undefined && flags.load !== "wrk" && flags.load !== "deno"
  ) {
    console.error(`bench: invalid --load "${flags.load}": use wrk or deno`);
    return 2;
  }
  const wrk = flags.load !== "deno" && names.includes("health") &&
    await haveWrk();
  if (flags.load === "wrk" && !wrk) {
    console.error(`bench: wrk is not installed: ${WRK_INSTALL}`);
    return 2;
  }
  if (names.includes("health") && flags.load === undefined && !wrk) {
    progress(
      `wrk is not installed (${WRK_INSTALL}): /health is loaded by bench/http_load.ts`,
    );
  }
  const quick = flags.quick ?? false;
  const plan = planOf(
    quick,
    Number(flags.rounds ?? (quick ? 1 : 5)),
    wrk ? "wrk" : "deno",
  );
  const shown: Figure[] = [];
  for (const bench of BENCHES.filter((b) => names.includes(b.name))) {
    const figures = bench.figures(plan);
    shown.push(...figures);
    try {
      await bench.measure(plan, figures);
    } catch (err) {
      figures[0].error = (err as Error).message;
      progress(`${bench.name} failed: ${figures[0].error}`);
    }
  }
  console.log(formatReport(shown, plan));
  if (flags.json) console.log(formatJson(shown));
  return shown.some((f) => f.error !== undefined) ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
