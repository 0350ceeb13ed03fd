/**
 * The environment as users really set it: a blank `PRYX_*` variable counts
 * as unset for every variable and subcommand (and in the client), and a
 * state directory of `~` or `~/...` means the home directory, from any
 * working directory.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Env } from "../../lib/shared/config.ts";
import { denoClientDiscover } from "../_harness/client.ts";
import { runCli, startServer, withHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";

/** Every variable pryx-core reads, set to `value`. */
function every(value: string): Record<string, string> {
  return Object.fromEntries(Object.values(Env).map((name) => [name, value]));
}

for (const blank of ["", " "]) {
  const shown = JSON.stringify(blank);
  Deno.test(`every PRYX_* variable set to ${shown} counts as unset, for every subcommand`, () =>
    withHome(async (home) => {
      // The default state directory is $HOME/.pryx.
      const env = { ...every(blank), HOME: home };
      const state = `${home}/.pryx`;
      const none = await runCli(["discover"], { env });
      assert.equal(none.code, 1, none.stderr);
      assert.match(none.stderr, new RegExp(`${state}/runtime\\.port`));

      await using server = await startServer(state, [], { env });
      assert(exists(`${state}/runtime.json`));
      const found = await runCli(["discover", "--format", "url"], { env });
      assert.equal(found.code, 0, found.stderr);
      assert.equal(found.stdout, `http://127.0.0.1:${server.port}\n`);
      const list = await runCli(["list", "--json"], { env });
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).map((e: { status: string }) => e.status),
        ["live"],
      );
      const run = await runCli(
        ["run", "--", "sh", "-c", "echo $PRYX_API_URL"],
        {
          env,
        },
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `http://127.0.0.1:${server.port}\n`);
      const client = await denoClientDiscover(env);
      assert.equal(client.error, null);
      assert.equal(client.runtime?.port, server.port);
      const stop = await runCli(["stop"], { env });
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal((await server.exited()).code, 0);
    }));
}

Deno.test("PRYX_HOME='~/.pryx' from another directory lands in $HOME/.pryx and is found from anywhere", () =>
  withHome(async (home) => {
    const cwd = `${home}/work`;
    const elsewhere = `${home}/elsewhere`;
    Deno.mkdirSync(cwd);
    Deno.mkdirSync(elsewhere);
    const env = { HOME: `${home}/me`, PRYX_HOME: "~/.pryx" };
    Deno.mkdirSync(env.HOME);
    await using server = await startServer(`${home}/me/.pryx`, [], {
      env,
      cwd,
    });
    assert(
      !exists(`${cwd}/~`),
      "no directory named ~ in the working directory",
    );
    const found = await runCli(["discover"], { env, cwd: elsewhere });
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stdout, `${server.port}\n`);
    const flag = await runCli(["discover", "--state-dir", "~/.pryx"], {
      env: { HOME: env.HOME },
      cwd: elsewhere,
    });
    assert.equal(flag.stdout, `${server.port}\n`, flag.stderr);
    const client = await denoClientDiscover({ HOME: env.HOME }, {
      stateDir: "~/.pryx",
    });
    assert.equal(client.runtime?.port, server.port, `${client.error}`);
  }));

Deno.test("PRYX_HOME='~' is the home directory itself", () =>
  withHome(async (home) => {
    await using server = await startServer(home, [], {
      env: { HOME: home, PRYX_HOME: "~" },
    });
    const found = await runCli(["discover"], {
      env: { HOME: home, PRYX_HOME: "~" },
    });
    assert.equal(found.stdout, `${server.port}\n`, found.stderr);
  }));

Deno.test("a state directory of ~user/... is a usage error, not a directory named ~user", () =>
  withHome(async (home) => {
    for (const args of [["discover"], ["list"], ["serve"]]) {
      const r = await runCli(args, {
        env: { HOME: home, PRYX_HOME: "~root/.pryx" },
        cwd: home,
      });
      assert.equal(r.code, 2, `${args}: ${r.stderr}`);
      assert.match(r.stderr, /Cannot expand "~root\/\.pryx"/);
      assert(!exists(`${home}/~root`));
    }
  }));
