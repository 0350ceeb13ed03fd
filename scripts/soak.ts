/**
 * `deno task soak [--seconds N] [--json]`: the fault soak. For N seconds
 * (default 120; loopback and a temp state directory only) a supervisor
 * keeps one runtime of an instance alive while a fault is injected every
 * 0.5-2 s: SIGKILL, SIGSTOP for 1-3 s then SIGCONT, SIGTERM, `rm -rf` of
 * the state directory, the port file removed, a second concurrent
 * `serve`, a burst of 50 `discover`s, and a restart with its log on a full
 * disk (`2>/dev/full`). Readers never stop: `discover --json` processes
 * whose every answer is checked against the owners the supervisor started,
 * a raw reader of the port file, and 20 `connect()` clients.
 *
 * It prints (markdown, or `--json`): faults injected, wrong answers (a pid
 * the supervisor never started, or an owner dead for more than 2 s when
 * the answer started), "nothing live" answers while the same owner had
 * been up and answering throughout, torn reads of the port file, the
 * reconnect time of the clients after each restart (from the new port
 * file to a client open on it: p50, p99, max), clients not open at the
 * end, how many `stop`s it took to end it, and the processes and files
 * left behind (after `stop`, and `prune` for the files of an owner
 * SIGKILLed last). Exits 1 when a goal is missed: 0 wrong, 0 torn, 0
 * stuck, 0 left, 0 "nothing live"; 130 when interrupted (everything is
 * cleaned up all the same).
 *
 * @module
 */

import { RUNTIME_PERMISSIONS } from "../lib/shared/config.ts";
import { connect, type RuntimeConnection } from "../lib/client.ts";
import { fileUrlToPath } from "../lib/shared/file_url.ts";

const MAIN = fileUrlToPath(new URL("../main.ts", import.meta.url));
const CLIENTS = 20;

/** One `serve` the supervisor (or a fault) started. */
interface Owner {
  child: Deno.ChildProcess;
  startedAt: number;
  diedAt?: number;
  frozenUntil?: number;
}

/** The soak's figures. */
export interface SoakReport {
  seconds: number;
  faults: Record<string, number>;
  discovers: number;
  wrong: number;
  nothingLive: number;
  torn: number;
  portReads: number;
  reconnectMs: { samples: number; p50: number; p99: number; max: number };
  stuck: number;
  stops: number;
  leftProcesses: number;
  leftFiles: string[];
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]): T =>
  xs[Math.floor(Math.random() * xs.length)];

/**
 * Runs the soak for `seconds`; resolves with its figures. When `signal`
 * aborts (a Ctrl-C), the faults stop early and everything is cleaned up
 * as at the end: nothing is left behind.
 */
export async function soak(
  seconds: number,
  signal?: AbortSignal,
): Promise<SoakReport> {
  const root = Deno.makeTempDirSync({ prefix: "pryx-soak-" });
  const home = `${root}/state`;
  const env = { PRYX_HOME: home, NO_COLOR: "1" };
  const owners: Owner[] = [];
  const faults: Record<string, number> = {};
  const events: { at: number; kind: string }[] = [];
  let running = true;
  let current: Owner | undefined;

  const spawnServe = (logOnFullDisk = false): Owner => {
    const argv = [
      Deno.execPath(),
      "run",
      ...RUNTIME_PERMISSIONS,
      MAIN,
      "serve",
      "--quiet",
    ];
    const child = logOnFullDisk
      ? new Deno.Command("sh", {
        args: ["-c", 'exec "$@" 2>/dev/full', "sh", ...argv],
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn()
      : new Deno.Command(argv[0], {
        args: argv.slice(1),
        env,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    const owner: Owner = { child, startedAt: now() };
    child.status.then(() => owner.diedAt = now());
    owners.push(owner);
    return owner;
  };
  const alive = (o: Owner) => o.diedAt === undefined;

  // The supervisor: one runtime, started again whenever it is gone.
  let fullDiskNext = false;
  const supervisor = (async () => {
    while (running) {
      if (current === undefined || !alive(current)) {
        current = spawnServe(fullDiskNext);
        fullDiskNext = false;
      }
      await sleep(50);
    }
  })();

  // The raw reader: the port file is whole or absent, never torn.
  let torn = 0;
  let portReads = 0;
  const portFile = `${home}/runtime.port`;
  const rawReader = (async () => {
    while (running) {
      try {
        const text = Deno.readTextFileSync(portFile);
        portReads++;
        if (!/^\d+\n$/.test(text)) torn++;
      } catch {
        // absent: fine
      }
      await sleep(5);
    }
  })();

  // The clients, and when each new run's port file appeared.
  const clients: RuntimeConnection[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(connect({ env: { PRYX_HOME: home }, heartbeatMs: 2000 }));
  }
  const reconnects: number[] = [];
  const clientWatch = (async () => {
    let lastPort: number | undefined;
    let since = 0;
    let pending = new Set<number>();
    while (running) {
      let port: number | undefined;
      try {
        port = Number(Deno.readTextFileSync(portFile));
      } catch {
        port = undefined;
      }
      if (port !== undefined && port !== lastPort) {
        lastPort = port;
        since = now();
        pending = new Set(clients.map((_, i) => i));
      }
      for (const i of [...pending]) {
        const c = clients[i];
        if (c.state === "open" && c.runtime?.port === lastPort) {
          reconnects.push(now() - since);
          pending.delete(i);
        }
      }
      await sleep(2);
    }
  })();

  // The discover readers: every answer checked against the owners.
  let discovers = 0;
  let wrong = 0;
  let nothingLive = 0;
  const byPid = () => new Map(owners.map((o) => [o.child.pid, o]));
  const discoverOnce = async () => {
    const start = now();
    const before = current;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...RUNTIME_PERMISSIONS, MAIN, "discover", "--json"],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    const end = now();
    discovers++;
    if (out.success) {
      const info = JSON.parse(new TextDecoder().decode(out.stdout));
      const owner = byPid().get(info.pid);
      if (
        owner === undefined ||
        (owner.diedAt !== undefined && owner.diedAt < start - 2000)
      ) wrong++;
    } else if (
      before !== undefined && before === current && alive(before) &&
      before.startedAt < start - 2000 &&
      (before.frozenUntil === undefined || before.frozenUntil < start - 1000) &&
      !events.some((e) => e.at > start - 1000 && e.at < end + 100)
    ) {
      nothingLive++;
    }
  };
  const readers = [0, 1].map(async () => {
    while (running) await discoverOnce();
  });

  // The faults.
  const kinds = [
    "SIGKILL",
    "SIGSTOP",
    "SIGTERM",
    "rm -rf",
    "port file removed",
    "second serve",
    "50 discovers",
    "full disk",
  ] as const;
  const deadline = now() + seconds * 1000;
  await sleep(1500);
  while (now() < deadline && !signal?.aborted) {
    await sleep(500 + Math.random() * 1500);
    if (signal?.aborted) break;
    const kind = pick(kinds);
    faults[kind] = (faults[kind] ?? 0) + 1;
    events.push({ at: now(), kind });
    const owner = current;
    try {
      switch (kind) {
        case "SIGKILL":
        case "SIGTERM":
          if (owner && alive(owner)) owner.child.kill(kind);
          break;
        case "SIGSTOP":
          if (owner && alive(owner)) {
            const ms = 1000 + Math.random() * 2000;
            owner.child.kill("SIGSTOP");
            owner.frozenUntil = now() + ms;
            setTimeout(() => {
              if (alive(owner)) owner.child.kill("SIGCONT");
            }, ms);
          }
          break;
        case "rm -rf":
          await new Deno.Command("rm", { args: ["-rf", home] }).output();
          break;
        case "port file removed":
          Deno.removeSync(portFile);
          break;
        case "second serve":
          spawnServe();
          break;
        case "50 discovers":
          await Promise.all(Array.from({ length: 50 }, discoverOnce));
          break;
        case "full disk":
          fullDiskNext = true;
          if (owner && alive(owner)) owner.child.kill("SIGTERM");
          break;
      }
    } catch {
      // the file was not there, the process had gone: a fault all the same
    }
  }

  // Quiet: every client must be open on the runtime within 5 s.
  const quietUntil = signal?.aborted ? now() : now() + 5000;
  while (
    now() < quietUntil &&
    clients.some((c) => c.state !== "open" || c.runtime === undefined)
  ) await sleep(50);
  const stuck = clients.filter((c) => c.state !== "open").length;
  running = false;
  await Promise.all([supervisor, rawReader, clientWatch, ...readers]);
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => c.closed));

  // Stop what is left the way a user would (once no owner is frozen), then
  // prune what a SIGKILLed owner left (its lock is free: readers skip it),
  // then count what stayed.
  while (owners.some((o) => alive(o) && (o.frozenUntil ?? 0) > now())) {
    await sleep(50);
  }
  const cli = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...RUNTIME_PERMISSIONS, MAIN, ...args],
      env,
      stdout: "null",
      stderr: "null",
    }).output();
  // A runtime still starting when `stop` looked (the supervisor's last
  // restart) is live only after it: `stop` again, as a user would; the
  // report says how many it took.
  let stops = 0;
  for (; stops < 3 && owners.some(alive); stops++) {
    await cli(["stop"]);
    const exitWait = now() + 5000;
    while (owners.some(alive) && now() < exitWait) await sleep(50);
  }
  const leftProcesses = owners.filter(alive).length;
  for (const o of owners.filter(alive)) {
    o.child.kill("SIGCONT");
    o.child.kill("SIGKILL");
  }
  await Promise.all(owners.map((o) => o.child.status));
  await cli(["prune"]);
  let leftFiles: string[] = [];
  try {
    leftFiles = [...Deno.readDirSync(home)].map((e) => e.name)
      .filter((n) => !n.endsWith(".lock"));
  } catch {
    leftFiles = [];
  }
  Deno.removeSync(root, { recursive: true });

  const sorted = [...reconnects].sort((a, b) => a - b);
  const q = (p: number) =>
    sorted.length === 0
      ? 0
      : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return {
    seconds,
    faults,
    discovers,
    wrong,
    nothingLive,
    torn,
    portReads,
    reconnectMs: {
      samples: sorted.length,
      p50: Math.round(q(0.5)),
      p99: Math.round(q(0.99)),
      max: Math.round(sorted.at(-1) ?? 0),
    },
    stuck,
    stops,
    leftProcesses,
    leftFiles,
  };
}

/** Whether the figures meet the goals (reconnect time is reported only). */
export function soakPassed(r: SoakReport): boolean {
  return r.wrong === 0 && r.torn === 0 && r.stuck === 0 &&
    r.leftProcesses === 0 && r.leftFiles.length === 0 && r.nothingLive === 0;
}

/** The figures as a markdown table. */
export function soakTable(r: SoakReport): string {
  const total = Object.values(r.faults).reduce((a, b) => a + b, 0);
  const rows: [string, string][] = [
    ["seconds", String(r.seconds)],
    [
      "faults injected",
      `${total} (${
        Object.entries(r.faults).map(([k, v]) => `${k} ${v}`).join(", ")
      })`,
    ],
    ["discover answers checked", String(r.discovers)],
    ["wrong answers", String(r.wrong)],
    ['"nothing live" while an owner answered', String(r.nothingLive)],
    ["torn port-file reads", `${r.torn} of ${r.portReads}`],
    [
      "reconnect after a restart (ms)",
      `p50 ${r.reconnectMs.p50}, p99 ${r.reconnectMs.p99}, max ${r.reconnectMs.max} (${r.reconnectMs.samples} samples)`,
    ],
    ["clients stuck at the end", `${r.stuck} of ${CLIENTS}`],
    ["`stop` runs to end it", String(r.stops)],
    ["processes left behind", String(r.leftProcesses)],
    ["files left behind", r.leftFiles.join(", ") || "0"],
  ];
  return [
    "| figure | value |",
    "|---|---|",
    ...rows.map(([a, b]) => `| ${a} | ${b} |`),
  ]
    .join("\n");
}

const USAGE = "Usage: deno task soak [--seconds N] [--json]";

/**
 * The soak's flags: `--seconds N` (or `--seconds=N`, default 120), `--json`.
 *
 * @returns The options, `"help"` for `-h`/`--help`, or the one line of a
 * usage error.
 */
export function parseSoakArgs(
  args: readonly string[],
): { seconds: number; json: boolean } | "help" | { error: string } {
  let seconds = 120;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--json") json = true;
    else if (arg === "--seconds" || arg.startsWith("--seconds=")) {
      const value = arg === "--seconds" ? args[++i] : arg.slice(10);
      seconds = Number(value);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        return { error: `--seconds needs a positive number; ${USAGE}` };
      }
    } else return { error: `unknown argument "${arg}"; ${USAGE}` };
  }
  return { seconds, json };
}

if (import.meta.main) {
  const options = parseSoakArgs(Deno.args);
  if (options === "help") {
    console.log(USAGE);
    Deno.exit(0);
  }
  if ("error" in options) {
    console.error(`pryx-core soak: ${options.error}`);
    Deno.exit(2);
  }
  // A Ctrl-C ends the faults and cleans up; nothing is left behind.
  const interrupted = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => interrupted.abort());
  }
  const report = await soak(options.seconds, interrupted.signal);
  console.log(
    options.json ? JSON.stringify(report, null, 2) : soakTable(report),
  );
  Deno.exit(interrupted.signal.aborted ? 130 : soakPassed(report) ? 0 : 1);
}
