/**
 * Black-box tests of instance ownership under contention: simultaneous
 * starts, and restarts (some by SIGKILL) while a reader hammers the files.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  cliCommand,
  NO_POSIX_SIGNALS,
  startServer,
  withHome,
} from "../_harness/cli.ts";
import { killIfRunning } from "../_harness/process.ts";

Deno.test("of 8 simultaneous starts exactly one owns the instance and 7 exit 4", () =>
  withHome(async (home) => {
    const [cmd, argv] = cliCommand(["serve"]);
    const children = Array.from({ length: 8 }, () =>
      new Deno.Command(cmd, {
        args: argv,
        env: { PRYX_HOME: home, NO_COLOR: "1" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn());
    try {
      // Seven exit on their own; the owner keeps serving.
      const deadline = Date.now() + 30_000;
      const results = children.map((c) => c.output().then((o) => ({ c, o })));
      const losers = [];
      const pending = new Set(results);
      while (losers.length < 7 && Date.now() < deadline) {
        const timeout = new Promise<undefined>((r) =>
          setTimeout(() => r(undefined), deadline - Date.now())
        );
        const done = await Promise.race([...pending, timeout]);
        if (done === undefined) break;
        pending.delete(results[children.indexOf(done.c)]);
        losers.push(done);
      }
      assert.deepStrictEqual(losers.length, 7, "seven starts gave up");
      const owner = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
      for (const { o } of losers) {
        const err = new TextDecoder().decode(o.stderr);
        assert.deepStrictEqual(o.code, 4, err);
        assert.match(err, new RegExp(`already running .*pid ${owner.pid}`));
      }
      const health =
        await (await fetch(`http://127.0.0.1:${owner.port}/health`)).json();
      assert.deepStrictEqual(health.pid, owner.pid);
    } finally {
      for (const c of children) {
        killIfRunning(c, "SIGKILL");
        await c.status;
      }
    }
  }));

Deno.test("25 restarts, some by SIGKILL, never show a reader a torn file", {
  ignore: NO_POSIX_SIGNALS,
}, () =>
  withHome(async (home) => {
    let reads = 0;
    const torn: string[] = [];
    let running = true;
    const reader = (async () => {
      while (running) {
        for (const name of ["runtime.port", "runtime.json"]) {
          let text: string;
          try {
            text = await Deno.readTextFile(`${home}/${name}`);
          } catch {
            continue; // absent between owners: allowed
          }
          reads++;
          const whole = name === "runtime.port"
            ? /^\d+\n$/.test(text)
            : parses(text);
          if (!whole) torn.push(`${name}: ${JSON.stringify(text)}`);
        }
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    try {
      for (let i = 0; i < 25; i++) {
        const server = await startServer(home);
        const { code } = await server.stop(i % 3 === 0 ? "SIGKILL" : "SIGTERM");
        if (i % 3 !== 0) assert.deepStrictEqual(code, 0);
      }
    } finally {
      running = false;
      await reader;
    }
    assert.deepStrictEqual(torn, []);
    assert(reads > 25, `the reader read ${reads} files`);
  }));

function parses(text: string): boolean {
  try {
    const v = JSON.parse(text);
    return typeof v.pid === "number" && typeof v.port === "number";
  } catch {
    return false;
  }
}
