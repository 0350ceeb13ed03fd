/**
 * One Ctrl-C, one SIGINT: under `pryx-core run -- CMD`, CMD gets exactly
 * the signals it would get when run directly. In a real terminal (a pty
 * from util-linux `script`) the terminal's SIGINT reaches CMD once; a
 * SIGINT sent to run's pid, or to run's process group (what a supervisor
 * or a terminal without run in charge does), also reaches CMD once.
 *
 * CMD is a shell that counts the SIGINTs it gets and writes the count to a
 * file half a second after the first, so a second copy would be counted.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  childEnv,
  cliCommand,
  NO_POSIX_SIGNALS,
  startServer,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";
import { shellQuote } from "../../lib/shared/shell.ts";
import { inTerminalForeground } from "../../lib/cli/run_child.ts";
import { killIfRunning } from "../_harness/process.ts";

/** Counts SIGINTs; writes its pid to $READY, then the count to $OUT. */
const COUNTER = `n=0
trap 'n=$((n+1))' INT
echo $$ > "$READY"
i=0
left=-1
while [ $i -lt 300 ] && [ $left -ne 0 ]; do
  sleep 0.05
  i=$((i+1))
  if [ $n -gt 0 ] && [ $left -lt 0 ]; then left=10; fi
  if [ $left -gt 0 ]; then left=$((left-1)); fi
done
echo "$n" > "$OUT"`;

function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"] }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** Waits (bounded) for CMD's pid in its ready file; fails with `why` otherwise. */
async function ready(path: string, why: () => string): Promise<string> {
  const pid = () => exists(path) ? Deno.readTextFileSync(path) : "";
  assert(await waitUntil(() => pid().endsWith("\n"), 15_000), why());
  return pid().trim();
}

Deno.test({
  name: "one Ctrl-C in a real terminal reaches CMD under run exactly once",
  ignore: NO_POSIX_SIGNALS || !hasScript(),
  fn: () =>
    withHome(async (home) => {
      await using _server = await startServer(home);
      const [bin, args] = cliCommand(["run", "--", "sh", "-c", COUNTER]);
      const line = [bin, ...args].map(shellQuote).join(" ");
      const env = childEnv({
        PRYX_HOME: home,
        READY: `${home}/ready`,
        OUT: `${home}/out`,
        SHELL: "/bin/sh",
      });
      // script gives the command a pty as its controlling terminal; a ^C
      // written to it becomes the terminal's SIGINT to the foreground group.
      const term = new Deno.Command("script", {
        args: ["-qefc", line, "/dev/null"],
        env,
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = term.output();
      const writer = term.stdin.getWriter();
      try {
        const pid = await ready(
          `${home}/ready`,
          () => "CMD did not start in the pty",
        );
        // CMD keeps the terminal: it is in its foreground group.
        assert(inTerminalForeground(Number(pid)), "CMD in the foreground");
        await writer.write(new TextEncoder().encode("\x03"));
        assert(
          await waitUntil(() => exists(`${home}/out`), 15_000),
          "CMD did not finish",
        );
        assert.equal(Deno.readTextFileSync(`${home}/out`).trim(), "1");
      } finally {
        await writer.close().catch(() => {});
        killIfRunning(term, "SIGKILL");
        await output;
      }
    }),
});

for (const target of ["pid", "group"] as const) {
  Deno.test({
    name: `a SIGINT sent to run's ${
      target === "pid" ? "pid alone" : "process group"
    } reaches CMD exactly once`,
    ignore: NO_POSIX_SIGNALS,
    fn: () =>
      withHome(async (home) => {
        await using _server = await startServer(home);
        const [bin, args] = cliCommand(["run", "--", "sh", "-c", COUNTER]);
        const run = new Deno.Command(bin, {
          args,
          env: childEnv({
            PRYX_HOME: home,
            READY: `${home}/ready`,
            OUT: `${home}/out`,
          }),
          clearEnv: true,
          stdin: "null",
          stdout: "null",
          stderr: "piped",
          // run leads a process group of its own, as a shell job does.
          detached: true,
        }).spawn();
        const output = run.output();
        try {
          await ready(`${home}/ready`, () => "CMD did not start");
          Deno.kill(target === "pid" ? run.pid : -run.pid, "SIGINT");
          const status = await output;
          assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
          assert.equal(Deno.readTextFileSync(`${home}/out`).trim(), "1");
        } finally {
          killIfRunning(run, "SIGKILL");
          await output;
        }
      }),
  });
}
