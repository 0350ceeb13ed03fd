/**
 * `deno task bench`: pryx-core side by side with bare Deno baselines
 * (`bench/baselines/`), alternating the two over several rounds in one
 * invocation, and printing the medians and the ratio pryx-core / baseline.
 *
 * Figures: ready (spawn to port file), discover (wall time against a live
 * runtime), `/health` throughput under 32 keep-alive connections (`wrk`, or
 * a Deno load generator when `wrk` is missing), WebSocket pub/sub 1 to 1 and
 * fan-out 1 to 1,000 (events per second delivered), idle RSS, and RSS with
 * 10,000 idle WebSocket clients. With the throughput figures goes the server's
 * CPU time per request or delivered event (`/proc/PID/stat`), which varies
 * less from run to run than throughput on a shared machine. Then the
 * client side of restarts: reconnect (from the restarted runtime's new port
 * file appearing to a `connect()` client receiving an event published on
 * it) and the CPU a `connect()` client uses while no runtime exists, each
 * against the reconnect loop an application writes by hand (re-read the
 * port file every 100 ms).
 *
 * Flags: `--quick` (fewer rounds, shorter runs, 1,000 idle clients: the
 * smoke test), `--rounds N`, `--only ready,discover,health,pubsub,fanout,
 * idle,clients,reconnect,clientcpu`, `--load wrk|deno`, `--json` (also print the medians as one
 * JSON line after the table). Progress goes to stderr, the table to stdout.
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
import {
  baselineCommand,
  childEnv,
  type Cmd,
  cpuSeconds,
  pryxCommand,
  rssMiB,
  scriptCommand,
  type Server,
  startServer,
  withFdLimit,
} from "./_proc.ts";
import { killIfRunning } from "../tests/_harness/process.ts";

/** One figure of the report. */
export interface Figure {
  /** Stable key (`ready`, `discover`, ...). */
  key: string;
  /** What is measured, with its unit. */
  label: string;
  /** Whether a lower value is the better one. */
  lowerIsBetter: boolean;
  /** Samples of pryx-core, one per round. */
  pryx: number[];
  /** Samples of the baseline, one per round. */
  baseline: number[];
  /** The goal for pryx / baseline, if any. */
  ratioGoal?: number;
  /** An absolute goal for pryx-core (an upper bound), if any. */
  absGoal?: number;
  /** The unit of {@linkcode absGoal} (default MiB). */
  absUnit?: string;
  /** The goal is "at most" rather than "below". */
  absInclusive?: boolean;
  /** Why the figure could not be measured. */
  error?: string;
  /** The `--only` section it belongs to, when not its key. */
  section?: Section;
}

/** Sizes of a run: `--quick` or full. */
interface Plan {
  quick: boolean;
  rounds: number;
  startRounds: number;
  httpSeconds: number;
  wsSeconds: number;
  wsWarmup: number;
  fanout: number;
  idleClients: number;
  clientRounds: number;
  /** Restarts per reconnect round. */
  restarts: number;
  /** Seconds a client's CPU is sampled while no runtime exists. */
  idleSeconds: number;
  load: "wrk" | "deno";
}

const SECTIONS = [
  "ready",
  "discover",
  "health",
  "pubsub",
  "fanout",
  "idle",
  "clients",
  "reconnect",
  "clientcpu",
] as const;
type Section = typeof SECTIONS[number];

/** Which of the two sides is measured. */
type Side = "pryx" | "baseline";

/** Runs `fn` for each side, alternating which goes first each round. */
async function alternate(
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

function progress(msg: string): void {
  console.error(`bench: ${msg}`);
}

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "pryx-bench-" });
  try {
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

/** Starts a server in a fresh state directory, runs `fn`, stops it. */
function withServer<T>(
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

const PRYX_SERVE = () => pryxCommand(["serve"]);

/**
 * Runs `load`, which returns operations per second, and adds the CPU time
 * process `pid` spent per operation, in microseconds, to `cpu` for `side`.
 * `seconds` is how long `load` keeps the server busy.
 */
async function withCpu(
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

// ready ---------------------------------------------------------------------

/** Spawn → port file, in milliseconds; the process is then killed. */
function timeReady(cmd: Cmd): Promise<number> {
  return withHome(async (home) => {
    const server = await startServer(cmd, home);
    await server.stop("SIGKILL");
    return server.readyMs;
  });
}

async function benchReady(plan: Plan, fig: Figure): Promise<void> {
  const cmds = { pryx: PRYX_SERVE(), baseline: baselineCommand("ready.ts") };
  for (const side of ["pryx", "baseline"] as const) {
    await timeReady(cmds[side]); // warm the module cache
  }
  await alternate(plan.startRounds, fig, (side) => timeReady(cmds[side]));
}

// discover ------------------------------------------------------------------

async function benchDiscover(plan: Plan, fig: Figure): Promise<void> {
  await withServer(PRYX_SERVE(), async (server, home) => {
    const cmds = {
      pryx: pryxCommand(["discover"]),
      baseline: baselineCommand("discover.ts"),
    };
    const once = async (side: Side) => {
      const t0 = performance.now();
      const out = await new Deno.Command(cmds[side][0], {
        args: cmds[side][1],
        env: childEnv({ PRYX_HOME: home }),
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const t1 = performance.now();
      const printed = new TextDecoder().decode(out.stdout).trim();
      if (out.code !== 0 || printed !== String(server.port)) {
        const why = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
        throw new Error(
          `${side} discover exited ${out.code} printing "${printed}": ${why}`,
        );
      }
      return t1 - t0;
    };
    await once("pryx");
    await once("baseline");
    await alternate(plan.startRounds, fig, once);
  });
}

// /health throughput --------------------------------------------------------

/** Whether `wrk` runs; installs it with apt-get when missing and root. */
async function haveWrk(install: boolean): Promise<boolean> {
  const runs = async () => {
    try {
      const out = await new Deno.Command("wrk", {
        args: ["--version"],
        stdout: "null",
        stderr: "null",
      }).output();
      return out.code === 0 || out.code === 1; // wrk --version exits 1
    } catch {
      return false;
    }
  };
  if (await runs()) return true;
  if (!install || Deno.uid() !== 0) return false;
  progress("wrk is missing: apt-get install -y wrk");
  const apt = (args: string[]) =>
    new Deno.Command("apt-get", {
      args,
      stdout: "null",
      stderr: "null",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output().catch(() => ({ code: 1 }));
  if ((await apt(["install", "-y", "wrk"])).code !== 0) {
    await apt(["update"]);
    await apt(["install", "-y", "wrk"]);
  }
  return await runs();
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

async function benchHealth(
  plan: Plan,
  fig: Figure,
  cpu?: Figure,
): Promise<void> {
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
}

// WebSocket pub/sub and fan-out ---------------------------------------------

/** Runs a command that prints one JSON line and exits; returns that value. */
async function runJson(cmd: Cmd): Promise<Record<string, number>> {
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

/** Events per second delivered to `subs` subscribers of one publisher. */
async function loadPubSub(
  port: number,
  subs: number,
  seconds: number,
  warmup: number,
): Promise<number> {
  const result = await runJson(withFdLimit(scriptCommand("ws_load.ts", [
    "--port",
    String(port),
    "--mode",
    "pubsub",
    "--subs",
    String(subs),
    "--seconds",
    String(seconds),
    "--warmup",
    String(warmup),
  ])));
  return result.rate;
}

async function benchWs(
  plan: Plan,
  figs: {
    pubsub?: Figure;
    fanout?: Figure;
    pubsubCpu?: Figure;
    fanoutCpu?: Figure;
  },
): Promise<void> {
  await withServer(
    withFdLimit(PRYX_SERVE()),
    (pryx) =>
      withServer(withFdLimit(baselineCommand("ws_relay.ts")), async (base) => {
        const servers = { pryx, baseline: base };
        for (
          const [fig, cpu, subs] of [
            [figs.pubsub, figs.pubsubCpu, 1],
            [figs.fanout, figs.fanoutCpu, plan.fanout],
          ] as const
        ) {
          if (fig === undefined) continue;
          try {
            for (const side of ["pryx", "baseline"] as const) {
              await loadPubSub(
                servers[side].port,
                subs,
                Math.min(0.5, plan.wsSeconds / 2),
                Math.min(0.2, plan.wsWarmup / 2),
              );
            }
            await alternate(plan.rounds, fig, (side) =>
              withCpu(
                servers[side].pid,
                // The CPU time covers the warm-up too, at about the same rate.
                plan.wsSeconds + plan.wsWarmup,
                cpu,
                side,
                () =>
                  loadPubSub(
                    servers[side].port,
                    subs,
                    plan.wsSeconds,
                    plan.wsWarmup,
                  ),
              ));
          } catch (err) {
            fig.error = (err as Error).message;
          }
        }
      }),
  );
}

// memory --------------------------------------------------------------------

/** RSS of an idle server that has answered one `/health`. */
function idleRss(cmd: Cmd): Promise<number> {
  return withServer(cmd, async (server) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/health`);
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
    await sleep(500);
    return rssMiB(server.pid);
  });
}

async function benchIdle(plan: Plan, fig: Figure): Promise<void> {
  const cmds = { pryx: PRYX_SERVE(), baseline: baselineCommand("ready.ts") };
  await alternate(plan.startRounds, fig, (side) => idleRss(cmds[side]));
}

/** RSS of a server holding `count` idle WebSocket clients. */
function clientsRss(cmd: Cmd, count: number): Promise<number> {
  return withServer(withFdLimit(cmd), async (server) => {
    const [prog, args] = withFdLimit(scriptCommand("ws_load.ts", [
      "--port",
      String(server.port),
      "--mode",
      "idle",
      "--conns",
      String(count),
    ]));
    const load = new Deno.Command(prog, {
      args,
      env: childEnv({}),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errText = new Response(load.stderr).text();
    try {
      const line = await firstLine(load.stdout);
      const connected = line === undefined ? 0 : JSON.parse(line).connected;
      if (connected !== count) {
        throw new Error(
          `only ${connected} of ${count} clients connected: ${
            (await errText.catch(() => "")).split("\n")[0]
          }`,
        );
      }
      await sleep(1000);
      return rssMiB(server.pid);
    } finally {
      killIfRunning(load, "SIGKILL");
      await load.status;
      await errText.catch(() => "");
    }
  });
}

async function benchClients(plan: Plan, fig: Figure): Promise<void> {
  const cmds = {
    pryx: PRYX_SERVE(),
    baseline: baselineCommand("ws_relay.ts"),
  };
  await alternate(
    plan.clientRounds,
    fig,
    (side) => clientsRss(cmds[side], plan.idleClients),
  );
}

// reconnect and client CPU ------------------------------------------------------

/** The topic the reconnect clients subscribe to. */
const RECONNECT_TOPIC = "bench.reconnect";

/** The two reconnecting clients: `connect()` and the hand-written loop. */
function clientCommands(): Record<Side, Cmd> {
  const [cmd, args] = baselineCommand("reconnect.ts");
  return {
    pryx: scriptCommand("connect_client.ts", [RECONNECT_TOPIC]),
    baseline: [cmd, [...args, RECONNECT_TOPIC]],
  };
}

/** A client process whose stdout lines are read as they come. */
function startClient(cmd: Cmd, home: string) {
  const child = new Deno.Command(cmd[0], {
    args: cmd[1],
    env: childEnv({ PRYX_HOME: home }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  const reading = (async () => {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      for (let nl; (nl = buf.indexOf("\n")) >= 0; buf = buf.slice(nl + 1)) {
        lines.push(buf.slice(0, nl));
      }
      wake?.();
    }
  })();
  const stderr = new Response(child.stderr).text();
  let cursor = 0;
  return {
    pid: child.pid,
    /** The next line (after those returned before) that starts with `prefix`. */
    async next(prefix: string, timeoutMs: number): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (cursor < lines.length) {
          const line = lines[cursor++];
          if (line.startsWith(prefix)) return line;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `the client printed no "${prefix}" line within ${timeoutMs} ms`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 50));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    async stop(): Promise<void> {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reading.catch(() => {});
      await stderr;
    },
  };
}

/** POSTs `data` to `topic` until a subscriber got it (bounded). */
async function publishUntilDelivered(port: number, topic: string) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/publish/${topic}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    if ((await res.json()).delivered > 0) return;
    await sleep(1);
  }
  throw new Error(`no client subscribed to ${topic} within 10 s`);
}

/**
 * One round: a client follows `plan.restarts` restarts of the runtime (each
 * SIGTERM, a pause while nothing runs, a new start on a new port). Each
 * sample: the new port file appearing (the harness's watch) to the client
 * receiving the first event published on the new runtime, by the client's
 * clock. Returns the round's median, in ms.
 */
function reconnectRound(plan: Plan, cmd: Cmd): Promise<number> {
  return withHome(async (home) => {
    let server = await startServer(PRYX_SERVE(), home);
    const client = startClient(cmd, home);
    try {
      await client.next("open", 20_000);
      const samples: number[] = [];
      for (let i = 0; i < plan.restarts; i++) {
        await server.stop("SIGTERM");
        await sleep(300);
        const spawnedAt = performance.timeOrigin + performance.now();
        server = await startServer(PRYX_SERVE(), home);
        const appearedAt = spawnedAt + server.readyMs;
        await publishUntilDelivered(server.port, RECONNECT_TOPIC);
        const line = await client.next("event", 10_000);
        samples.push(Number(line.split(" ")[1]) - appearedAt);
      }
      return median(samples);
    } finally {
      await client.stop();
      await server.stop();
    }
  });
}

async function benchReconnect(plan: Plan, fig: Figure): Promise<void> {
  const cmds = clientCommands();
  await alternate(plan.rounds, fig, (side) => reconnectRound(plan, cmds[side]));
}

/**
 * CPU time of every thread of process `pid`, in seconds, from
 * `/proc/PID/task/TID/schedstat` (nanoseconds on the CPU, proc(5)):
 * finer than the 10 ms ticks of `/proc/PID/stat`, which an idle client
 * barely moves.
 */
function threadCpuSeconds(pid: number): number {
  let ns = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const text = Deno.readTextFileSync(
        `/proc/${pid}/task/${task.name}/schedstat`,
      );
      ns += Number(text.split(" ")[0]);
    } catch {
      // The thread ended in between.
    }
  }
  return ns / 1e9;
}

/** A client's CPU, in % of one core, while no runtime exists. */
function clientCpuRound(plan: Plan, cmd: Cmd): Promise<number> {
  return withHome(async (home) => {
    const client = startClient(cmd, home);
    try {
      await sleep(1000); // start-up is not idling
      const before = threadCpuSeconds(client.pid);
      const t0 = performance.now();
      await sleep(plan.idleSeconds * 1000);
      const used = threadCpuSeconds(client.pid) - before;
      return used / ((performance.now() - t0) / 1000) * 100;
    } finally {
      await client.stop();
    }
  });
}

async function benchClientCpu(plan: Plan, fig: Figure): Promise<void> {
  const cmds = clientCommands();
  await alternate(
    plan.clientRounds,
    fig,
    (side) => clientCpuRound(plan, cmds[side]),
  );
}

async function firstLine(
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

// report --------------------------------------------------------------------

/** Median of `values` (`NaN` when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value >= 1000) return Math.round(value).toString();
  if (value >= 100) return value.toFixed(1);
  return value.toFixed(2);
}

/** The report table, one line per figure. */
export function formatReport(figures: Figure[], plan: Plan): string {
  const lines = [
    `pryx-core vs bare Deno ${Deno.version.deno}: medians, ${plan.rounds} rounds (${plan.startRounds} for start-up and idle RSS, ${plan.clientRounds} with ${plan.idleClients} clients)${
      plan.quick ? ", --quick" : ""
    }`,
    "",
    [
      "figure".padEnd(40),
      "pryx-core".padStart(11),
      "baseline".padStart(11),
      "ratio".padStart(7),
      "  goal",
    ].join(""),
  ];
  const notes: string[] = [];
  for (const fig of figures) {
    const p = median(fig.pryx);
    const b = median(fig.baseline);
    const ratio = p / b;
    let goal = "";
    let ok = true;
    if (fig.ratioGoal !== undefined) {
      goal = `${fig.lowerIsBetter ? "<=" : ">="} ${fig.ratioGoal.toFixed(2)}`;
      ok = fig.lowerIsBetter ? ratio <= fig.ratioGoal : ratio >= fig.ratioGoal;
    }
    if (fig.absGoal !== undefined) {
      goal = `pryx ${fig.absInclusive ? "<=" : "<"} ${fig.absGoal} ${
        fig.absUnit ?? "MiB"
      }`;
      ok = fig.absInclusive ? p <= fig.absGoal : p < fig.absGoal;
    }
    const verdict = fig.error !== undefined || !Number.isFinite(ratio)
      ? "  FAILED"
      : goal === ""
      ? ""
      : ok
      ? "  ok"
      : "  MISSED";
    lines.push(
      [
        fig.label.padEnd(40),
        fmt(p).padStart(11),
        fmt(b).padStart(11),
        (Number.isFinite(ratio) ? ratio.toFixed(2) : "n/a").padStart(7),
        `  ${goal.padEnd(18)}`,
        verdict,
      ].join("").trimEnd(),
    );
    if (fig.error !== undefined) notes.push(`${fig.key}: ${fig.error}`);
  }
  if (notes.length > 0) lines.push("", ...notes.map((n) => `error: ${n}`));
  return lines.join("\n");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const USAGE =
  `Usage: deno task bench [--quick] [--rounds N] [--only LIST] [--load wrk|deno] [--json]

Runs pryx-core and bare Deno baselines alternately and prints medians and
ratios. LIST: ${SECTIONS.join(",")}.`;

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
  const quick = flags.quick ?? false;
  const rounds = Number(flags.rounds ?? (quick ? 1 : 5));
  const only = new Set(flags.only?.split(",") ?? SECTIONS);
  for (const name of only) {
    if (!SECTIONS.includes(name as Section)) {
      console.error(`bench: unknown section "${name}"\n${USAGE}`);
      return 2;
    }
  }
  if (
    flags.load !== undefined && flags.load !== "wrk" && flags.load !== "deno"
  ) {
    console.error(`bench: invalid --load "${flags.load}": use wrk or deno`);
    return 2;
  }
  const wantsWrk = flags.load !== "deno" && only.has("health");
  // --quick stays offline and fast: it never installs wrk.
  const wrk = wantsWrk && await haveWrk(!quick);
  if (flags.load === "wrk" && !wrk) {
    console.error("bench: wrk is not installed: apt-get install -y wrk");
    return 2;
  }
  const plan: Plan = {
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
    idleSeconds: quick ? 2 : 10,
    load: wrk ? "wrk" : "deno",
  };
  const figure = (
    key: Section,
    label: string,
    lowerIsBetter: boolean,
    goal: { ratio?: number; abs?: number },
  ): Figure => ({
    key,
    label,
    lowerIsBetter,
    pryx: [],
    baseline: [],
    ratioGoal: goal.ratio,
    absGoal: goal.abs,
  });
  /** Server CPU per operation of `section`'s throughput figure: no goal. */
  const cpuFigure = (section: Section, label: string): Figure => ({
    key: `${section}_cpu`,
    label,
    lowerIsBetter: true,
    pryx: [],
    baseline: [],
    section,
  });
  const figs = {
    ready: figure("ready", "ready: spawn to port file (ms)", true, {
      ratio: 1.20,
    }),
    discover: figure("discover", "discover: wall time (ms)", true, {
      ratio: 1.15,
    }),
    health: figure("health", `/health (req/s, 32 conns, ${plan.load})`, false, {
      ratio: 0.95,
    }),
    healthCpu: cpuFigure("health", "  server CPU per request (us)"),
    pubsub: figure("pubsub", "pub/sub 1 to 1 (events/s)", false, {
      ratio: 0.95,
    }),
    pubsubCpu: cpuFigure("pubsub", "  server CPU per event, 1 to 1 (us)"),
    fanout: figure(
      "fanout",
      `fan-out 1 to ${plan.fanout} (events/s)`,
      false,
      { ratio: 0.95 },
    ),
    fanoutCpu: cpuFigure(
      "fanout",
      `  server CPU per event, 1 to ${plan.fanout} (us)`,
    ),
    idle: figure("idle", "idle RSS (MiB)", true, { ratio: 1.20 }),
    clients: figure(
      "clients",
      `RSS, ${plan.idleClients} idle WS clients (MiB)`,
      true,
      { abs: 300 },
    ),
    reconnect: {
      ...figure("reconnect", "reconnect: port file to event (ms)", true, {
        abs: 100,
      }),
      absUnit: "ms",
      absInclusive: true,
    },
    clientcpu: {
      ...figure(
        "clientcpu",
        `client CPU, no runtime ${plan.idleSeconds} s (%)`,
        true,
        { abs: 1 },
      ),
      absUnit: "% of a core",
    },
  };
  const run = async (fig: Figure, fn: () => Promise<void>) => {
    if (!only.has(fig.key as Section)) return;
    try {
      await fn();
    } catch (err) {
      fig.error = (err as Error).message;
      progress(`${fig.key} failed: ${fig.error}`);
    }
  };
  await run(figs.ready, () => benchReady(plan, figs.ready));
  await run(figs.discover, () => benchDiscover(plan, figs.discover));
  await run(
    figs.health,
    () => benchHealth(plan, figs.health, figs.healthCpu),
  );
  if (only.has("pubsub") || only.has("fanout")) {
    await benchWs(plan, {
      pubsub: only.has("pubsub") ? figs.pubsub : undefined,
      fanout: only.has("fanout") ? figs.fanout : undefined,
      pubsubCpu: figs.pubsubCpu,
      fanoutCpu: figs.fanoutCpu,
    }).catch((err) => {
      figs.pubsub.error ??= (err as Error).message;
      figs.fanout.error ??= (err as Error).message;
    });
  }
  await run(figs.idle, () => benchIdle(plan, figs.idle));
  await run(figs.clients, () => benchClients(plan, figs.clients));
  await run(figs.reconnect, () => benchReconnect(plan, figs.reconnect));
  await run(figs.clientcpu, () => benchClientCpu(plan, figs.clientcpu));
  const shown = Object.values(figs).filter((f) =>
    only.has(f.section ?? f.key as Section)
  );
  console.log(formatReport(shown, plan));
  if (flags.json) {
    console.log(JSON.stringify(shown.map((f) => ({
      key: f.key,
      pryx: median(f.pryx),
      baseline: median(f.baseline),
      ratio: median(f.pryx) / median(f.baseline),
      error: f.error,
    }))));
  }
  return shown.some((f) => f.error !== undefined) ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
