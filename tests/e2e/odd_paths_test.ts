/**
 * A checkout at an odd path (spaces, `%`, non-ASCII: `My Projects/dév
 * 100%/pryx-core`) works: the CLI, `serve` with `discover`, and
 * `deno task build:client`, each run from the copy. A file URL's
 * `.pathname` keeps `%20` and `%25` escapes; every script and helper must
 * convert file URLs properly. Also: `deno task -q` keeps Deno's own
 * `Task ...` line off stderr, so a JSON log stays one object per line.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  childEnv,
  runProgram,
  waitForLockFree,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** Copies the tracked files of this checkout (as they are now) to `dest`. */
function copyCheckout(dest: string): void {
  const out = new Deno.Command("git", {
    args: ["-C", ROOT, "ls-files", "-z"],
    stdout: "piped",
  }).outputSync();
  assert(out.success, "git ls-files");
  for (const file of new TextDecoder().decode(out.stdout).split("\0")) {
    if (file === "" || !exists(`${ROOT}/${file}`)) continue;
    const target = `${dest}/${file}`;
    Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), {
      recursive: true,
    });
    Deno.copyFileSync(`${ROOT}/${file}`, target);
  }
}

/** Runs `deno ARGS` in `cwd` to completion. */
function deno(args: string[], cwd: string, env: Record<string, string>) {
  return runProgram(Deno.execPath(), args, { cwd, env });
}

function hasGit(): boolean {
  try {
    return new Deno.Command("git", { args: ["--version"] }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "a checkout under 'My Projects/dév 100%' runs the CLI, serve with discover, and build:client",
  ignore: !hasGit() || Deno.env.get("PRYX_CORE_BIN") !== undefined,
  fn: () =>
    withHome(async (tmp) => {
      const repo = `${tmp}/My Projects/dév 100%/pryx-core`;
      copyCheckout(repo);
      const home = `${tmp}/state`;
      const env = { PRYX_HOME: home };

      const help = await deno(
        ["task", "-q", "pryx", "discover", "--help"],
        repo,
        env,
      );
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /Usage: pryx-core discover/);
      assert.equal(help.stderr, "", "no Task line under -q");

      // serve from the copy, then `run`'s way of starting serve and discover.
      const server = new Deno.Command(Deno.execPath(), {
        args: ["task", "-q", "start", "--log-format", "json"],
        cwd: repo,
        env: childEnv(env),
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const log = server.stderr.pipeThrough(new TextDecoderStream());
      let stderr = "";
      const reading = (async () => {
        for await (const chunk of log) stderr += chunk;
      })();
      try {
        assert(
          await waitUntil(() => exists(`${home}/runtime.port`), 15_000),
          `serve did not start: ${stderr}`,
        );
        const port = Deno.readTextFileSync(`${home}/runtime.port`);
        const found = await deno(["task", "-q", "pryx", "discover"], repo, env);
        assert.equal(found.stdout, port, found.stderr);
      } finally {
        server.kill("SIGTERM");
        await server.status;
        await reading;
      }
      // One JSON object per stderr line: no "Task start ..." line from Deno.
      for (const line of stderr.trimEnd().split("\n")) {
        assert.doesNotThrow(() => JSON.parse(line), line);
      }

      // run starts its own runtime from the copy's main.ts and deno.json.
      const ran = await deno(
        ["task", "-q", "pryx", "run", "--", "sh", "-c", 'echo "$PRYX_API_URL"'],
        repo,
        env,
      );
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^http:\/\/127\.0\.0\.1:\d+\n$/);
      assert(await waitForLockFree(home), "the runtime run started is gone");

      const built = await deno(["task", "-q", "build:client"], repo, env);
      assert.equal(built.code, 0, built.stderr);
      assert(exists(`${repo}/dist/client.mjs`), built.stderr);
    }),
});
