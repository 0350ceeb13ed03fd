/**
 * What every figure of `deno task bench` is made of: the {@linkcode Figure}
 * a file of `bench/figures/` fills, the {@linkcode Plan} of sizes of a run
 * (`--quick` or full), and the steps figures share: alternating the two
 * sides over rounds, servers in fresh state directories, the server's CPU
 * per operation, medians and percentiles.
 *
 * @module
 */

import {
  type Cmd,
  cpuSeconds,
  pryxCommand,
  type Server,
  startServer,
} from "./_proc.ts";
import { childEnv } from "../tests/_harness/cli.ts";

/** One row of the report: pryx-core's samples against its baseline's. */
export interface Figure {
  /** Stable key (`ready`, `discover`, ...), also the key in `--json`. */
  key: string;
  /** What is measured, with its unit. */
  label: string;
  /** Whether a lower value is the better one. */
  lowerIsBetter: boolean;
  /** Samples of pryx-core. */
  pryx: number[];
  /** Samples of the baseline, taken in the same run. */
  baseline: number[];
  /** The goal for pryx / baseline, if any (SPEC 6a). */
  ratioGoal?: number;
  /** An absolute goal for pryx-core (an upper bound), if any. */
  absGoal?: number;
  /** The unit of {@linkcode absGoal} (default MiB). */
  absUnit?: string;
  /** The absolute goal is "at most" rather than "below". */
  absInclusive?: boolean;
  /**
   * How the samples become the figure (default the median); `p99` for a
   * tail over many samples.
   */
  summary?: "median" | "p99";
  /** Why the figure could not be measured. */
  error?: string;
}

/** What a figure's goal says, for {@linkcode figure}. */
export interface Goal {
  /** Whether a lower value is the better one. */
  lowerIsBetter: boolean;
  /** pryx / baseline at most (lower is better) or at least this. */
  ratio?: number;
  /** pryx-core below (or at most, with `absInclusive`) this. */
  abs?: number;
  /** Unit of `abs` (default MiB). */
  absUnit?: string;
  /** `abs` is "at most". */
  absInclusive?: boolean;
  /** How the samples become the figure (default the median). */
  summary?: "median" | "p99";
}

/** A figure with no samples yet. */
export function figure(key: string, label: string, goal: Goal): Figure {
  return {
    key,
    label,
    lowerIsBetter: goal.lowerIsBetter,
    pryx: [],
    baseline: [],
    ratioGoal: goal.ratio,
    absGoal: goal.abs,
    absUnit: goal.absUnit,
    absInclusive: goal.absInclusive,
    summary: goal.summary,
  };
}

/** Sizes of a run: `--quick` (the smoke test) or full. */
export interface Plan {
  /** `--quick`. */
  quick: boolean;
  /** Rounds of the throughput and client figures (`--rounds`). */
  rounds: number;
  /** Rounds of the start-up figures and idle RSS. */
  startRounds: number;
  /** Seconds of each `/health` load. */
  httpSeconds: number;
  /** Seconds of each WebSocket load, and of its warm-up. */
  wsSeconds: number;
  wsWarmup: number;
  /** Subscribers of the fan-out figure. */
  fanout: number;
  /** Idle WebSocket clients of the clients figure. */
  idleClients: number;
  /** Rounds of the figures with many clients or long idling. */
  clientRounds: number;
  /** Restarts per reconnect round. */
  restarts: number;
  /** Restarts of the restart figure, per side. */
  restartSamples: number;
  /** Seconds a client's CPU is sampled while no runtime exists. */
  idleSeconds: number;
  /** The `/health` load generator. */
  load: "wrk" | "deno";
}

/** A file of `bench/figures/`: one `--only` name, its figures and how to measure them. */
export interface Bench {
  /** The `--only` name. */
  name: string;
  /** The figures it fills, with no samples yet. */
  figures(plan: Plan): Figure[];
  /** Fills `figures` (those of {@linkcode Bench.figures}) with samples. */
  measure(plan: Plan, figures: Figure[]): Promise<void>;
}

/** Which of the two sides is measured. */
export type Side = "pryx" | "baseline";

/** Prints progress to stderr (the table goes to stdout). */
export function progress(msg: string): void {
  console.error(`bench: ${msg}`);
}

/** Runs `fn` for each side, alternating which goes first each round. */
export async function alternate(
  rounds: number,
  fig: Figure,
  fn: (side: Side) => Promise<number>,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const order: Side[] = i % 2 === 0
      ? ["pryx", "baseline"]
      : ["baseline", "pryx"];
    for (const side of order) {
      const value = await fn(side);
      fig[side].push(value);
      progress(`${fig.key} round ${i + 1}/${rounds} ${side}: ${fmt(value)}`);
    }
  }
}

/** Runs `fn` with a fresh temp state directory, removed after. */
export async function withHome<T>(
  fn: (home: string) => Promise<T>,
): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "pryx-bench-" });
  try {
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** Starts a server in a fresh state directory, runs `fn`, stops it. */
export function withServer<T>(
  cmd: Cmd,
  fn: (server: Server, home: string) => Promise<T>,
): Promise<T> {
  return withHome(async (home) => {
    const server = await startServer(cmd, home);
    try {
      return await fn(server, home);
    } finally {
      await server.stop();
    }
  });
}

/** The command of `pryx-core serve`. */
export const PRYX_SERVE = (): Cmd => pryxCommand(["serve"]);

/**
 * Runs `load`, which returns operations per second, and adds the CPU time
 * process `pid` spent per operation, in microseconds, to `cpu` for `side`.
 * `seconds` is how long `load` keeps the server busy.
 */
export async function withCpu(
  pid: number,
  seconds: number,
  cpu: Figure | undefined,
  side: Side,
  load: () => Promise<number>,
): Promise<number> {
  const before = cpuSeconds(pid);
  const rate = await load();
  const used = cpuSeconds(pid) - before;
  cpu?.[side].push(used * 1e6 / (rate * seconds));
  return rate;
}

/** Runs a command that prints one JSON line and exits; returns that value. */
export async function runJson(cmd: Cmd): Promise<Record<string, number>> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd[1],
    env: childEnv({}),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0 || text === "") {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    throw new Error(`${cmd[1][2]} exited ${out.code}: ${why}`);
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

/** The first line of `stream` (`undefined` when it ends first); cancels the rest. */
export async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<string | undefined> {
  const dec = new TextDecoder();
  let text = "";
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      text += dec.decode(value, { stream: true });
      const nl = text.indexOf("\n");
      if (nl >= 0) return text.slice(0, nl);
    }
  } finally {
    reader.releaseLock();
    stream.cancel().catch(() => {});
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Median of `values` (`NaN` when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The `p`th percentile of `values`, nearest rank (`NaN` when empty). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p / 100 * s.length) - 1)];
}

/** `fig`'s value for `side`: its median, or its p99. */
export function summarize(fig: Figure, side: Side): number {
  return fig.summary === "p99" ? percentile(fig[side], 99) : median(fig[side]);
}

/** A number for the table: whole above 1000, else two or one decimals. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value >= 1000) return Math.round(value).toString();
  if (value >= 100) return value.toFixed(1);
  return value.toFixed(2);
}
