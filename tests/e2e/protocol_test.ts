/**
 * The protocol check (SPEC section 5): `discover`, `run` and the client
 * skip a live runtime that speaks another protocol, with that reason on
 * stderr, so an old runtime left running after an upgrade is never
 * silently used. The old runtime is a fake process that holds the lock and
 * answers `/health` with protocol 2 and the run id of its metadata.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect, discover } from "../../lib/client.ts";
import { runCli, withHome } from "../_harness/cli.ts";
import { startFakeRuntime } from "../_harness/fake.ts";

/** Starts the fake runtime speaking `protocol` in `home`; disposing kills it. */
const startFake = (home: string, protocol = 2) =>
  startFakeRuntime(home, { protocol });

const MISMATCH = /speaks protocol 2, this client speaks 1: upgrade/;

Deno.test("discover skips a live runtime that speaks another protocol and says why", () =>
  withHome(async (home) => {
    await using fake = await startFake(home);
    const r = await runCli(["discover"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 1, r.stderr);
    assert.deepStrictEqual(r.stdout, "");
    assert.match(r.stderr, MISMATCH);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${fake.port}`));
    assert.doesNotMatch(r.stderr, /not ready/, "not taken for a starting one");
  }));

Deno.test("discover skips another protocol on a probed port and behind PRYX_API_URL too", () =>
  withHome(async (home) => {
    await using fake = await startFake(home);
    const probed = await runCli(
      ["discover", "--probe", String(fake.port), "--state-dir", `${home}/x`],
      { env: {} },
    );
    assert.deepStrictEqual(probed.code, 1, probed.stderr);
    assert.match(probed.stderr, MISMATCH);
    const viaEnv = await runCli(["discover"], {
      env: { PRYX_HOME: home, PRYX_API_URL: `http://127.0.0.1:${fake.port}` },
    });
    assert.deepStrictEqual(viaEnv.code, 1, viaEnv.stderr);
    assert.match(viaEnv.stderr, MISMATCH);
  }));

Deno.test("discover uses a runtime of the same protocol (the fake answering 1 is found)", () =>
  withHome(async (home) => {
    await using fake = await startFake(home, 1);
    const r = await runCli(["discover"], { env: { PRYX_HOME: home } });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, `${fake.port}\n`);
  }));

Deno.test("run refuses an instance held by a runtime of another protocol at once, without running CMD", () =>
  withHome(async (home) => {
    await using _fake = await startFake(home);
    const r = await runCli(["run", "--", "sh", "-c", "echo ran"], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 1, r.stderr);
    assert.deepStrictEqual(r.stdout, "");
    assert.match(r.stderr, /Cannot use .*speaks protocol 2/);
  }));

Deno.test("the client skips a runtime of another protocol: discover() and connect() report it as incompatible", () =>
  withHome(async (home) => {
    await using _fake = await startFake(home);
    const skipped: [string, string][] = [];
    const env = { PRYX_HOME: home };
    const onStale = (m: string, kind: string) => skipped.push([m, kind]);
    assert.deepStrictEqual(await discover({ env, onStale }), undefined);
    assert(
      skipped.some(([m, k]) => MISMATCH.test(m) && k === "incompatible"),
      JSON.stringify(skipped),
    );
    skipped.length = 0;
    const conn = connect({ env, onStale });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepStrictEqual(conn.state, "connecting");
      assert.deepStrictEqual(
        skipped.filter(([m]) => MISMATCH.test(m)).length,
        1,
        "reported once, not at every check",
      );
    } finally {
      conn.close();
      await conn.closed;
    }
  }));
