/**
 * Quick measurement of `pryx-core discover` start-up against a bare Deno
 * script that reads the port file, fetches `/health` and prints the port
 * (the goal is at most 1.15x: discover's start-up time is what every
 * script and health check pays).
 *
 * Starts one runtime in a temp state directory, then runs the two programs
 * alternately (so drift hits both alike), after a warm-up, and prints the
 * median and mean wall times and their ratio. Honours `$PRYX_CORE_BIN`.
 *
 * @example
 * ```sh
 * deno run -A bench/discover_ratio.ts        # 20 rounds
 * deno run -A bench/discover_ratio.ts 50     # 50 rounds
 * ```
 *
 * @module
 */

import {
  cliCommand,
  RUNTIME_PERMISSIONS,
  startServer,
  tempHome,
} from "../tests/_harness/cli.ts";

const BARE = `const home = Deno.env.get("PRYX_HOME");
const port = Number(Deno.readTextFileSync(home + "/runtime.port"));
const res = await fetch("http://127.0.0.1:" + port + "/health");
const body = await res.json();
if (body.service !== "pryx-core") Deno.exit(1);
console.log(port);
`;

/** Wall time of one run of `cmd`, in ms; throws unless it printed `expect`. */
async function timeRun(
  [cmd, args]: [string, string[]],
  env: Record<string, string>,
  expect: string,
): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const ms = performance.now() - t0;
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success || stdout !== expect) {
    throw new Error(
      `${cmd} ${args.join(" ")} printed ${JSON.stringify(stdout)}`,
    );
  }
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? 20);
  const home = await tempHome();
  const barePath = `${home}/bare_discover.ts`;
  await Deno.writeTextFile(barePath, BARE);
  try {
    await using server = await startServer(home);
    const env = { PRYX_HOME: home, NO_COLOR: "1" };
    const expect = `${server.port}\n`;
    const pryx = cliCommand(["discover"]);
    const bare: [string, string[]] = [
      Deno.execPath(),
      ["run", ...RUNTIME_PERMISSIONS, barePath],
    ];
    for (let i = 0; i < 3; i++) {
      await timeRun(pryx, env, expect);
      await timeRun(bare, env, expect);
    }
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < rounds; i++) {
      a.push(await timeRun(pryx, env, expect));
      b.push(await timeRun(bare, env, expect));
    }
    const f = (x: number) => x.toFixed(1);
    console.log(`rounds: ${rounds} (alternating, after 3 warm-up pairs)`);
    console.log(
      `pryx-core discover: median ${f(median(a))} ms, mean ${f(mean(a))} ms`,
    );
    console.log(
      `bare Deno script:   median ${f(median(b))} ms, mean ${f(mean(b))} ms`,
    );
    console.log(
      `ratio: median ${(median(a) / median(b)).toFixed(2)}x, mean ${
        (mean(a) / mean(b)).toFixed(2)
      }x (goal <= 1.2x)`,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}
