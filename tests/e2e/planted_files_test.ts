/**
 * Files planted by another user (SPEC 2): a state directory, or a file in
 * it, that belongs to another uid or that others may write is never
 * trusted or written. Every subcommand exits 5 with one line naming the
 * path, and the client module throws; nobody is sent to the impostor's
 * port. Another uid needs root to make (chown), as the ownership case of
 * the unit tests does not.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runCli, withHome } from "../_harness/cli.ts";
import { denoClientDiscover } from "../_harness/client.ts";
import {
  formatPortFile,
  formatRuntimeInfo,
} from "../../lib/shared/instance_files.ts";
import { PROTOCOL } from "../../lib/shared/protocol.ts";

const ROOT = Deno.build.os !== "windows" && Deno.uid() === 0;
const OTHER_UID = 4321;

/** An impostor's record: its own port, token and run. */
function plant(dir: string): void {
  Deno.writeTextFileSync(
    `${dir}/runtime.json`,
    formatRuntimeInfo({
      pid: 1,
      port: 9,
      hostname: "127.0.0.1",
      url: "http://127.0.0.1:9",
      wsUrl: "ws://127.0.0.1:9/ws",
      startedAt: new Date().toISOString(),
      version: "0.1.0",
      instance: "runtime",
      runId: "c".repeat(32),
      protocol: PROTOCOL,
      token: "i".repeat(48),
      auth: "none",
    }),
  );
  Deno.writeTextFileSync(`${dir}/runtime.port`, formatPortFile(9));
}

/** Every subcommand that reads or writes the state directory. */
const SUBCOMMANDS = [
  ["discover"],
  ["discover", "--json"],
  ["list"],
  ["stop"],
  ["prune"],
  ["serve"],
  ["run", "--", "true"],
];

async function assertRefusedEverywhere(
  home: string,
  state: string,
  why: RegExp,
): Promise<void> {
  for (const args of SUBCOMMANDS) {
    const r = await runCli(args, { env: { PRYX_HOME: state, HOME: home } });
    assert.equal(r.code, 5, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, why, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /127\.0\.0\.1:9\b|^9$/m);
  }
  // The client module checks the owner where Deno lets it read the uid.
  const client = await denoClientDiscover(
    { PRYX_HOME: state, HOME: home },
    {},
    ["--allow-net", "--allow-read", "--allow-env", "--allow-sys=uid"],
  );
  assert.equal(client.runtime, null);
  assert.match(client.error ?? "", why);
}

Deno.test({
  name:
    "a state directory that another user created first is refused by every subcommand and the client, exit 5",
  ignore: !ROOT,
  fn: () =>
    withHome(async (home) => {
      const state = `${home}/pryx`;
      Deno.mkdirSync(state, { mode: 0o700 });
      plant(state);
      for (
        const p of [state, `${state}/runtime.json`, `${state}/runtime.port`]
      ) {
        Deno.chownSync(p, OTHER_UID, OTHER_UID);
      }
      await assertRefusedEverywhere(
        home,
        state,
        new RegExp(`Refusing "${state}": it belongs to uid ${OTHER_UID}`),
      );
      // Nothing was written into it.
      assert.deepStrictEqual(
        [...Deno.readDirSync(state)].map((e) => e.name).sort(),
        ["runtime.json", "runtime.port"],
      );
    }),
});

Deno.test({
  name: "a record that another user planted in my directory is refused, exit 5",
  ignore: !ROOT,
  fn: () =>
    withHome(async (home) => {
      const state = `${home}/pryx`;
      Deno.mkdirSync(state, { mode: 0o700 });
      plant(state);
      Deno.chownSync(`${state}/runtime.json`, OTHER_UID, OTHER_UID);
      const r = await runCli(["discover"], { env: { PRYX_HOME: state } });
      assert.equal(r.code, 5, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `Refusing "${state}/runtime.json": it belongs to uid ${OTHER_UID}`,
        ),
      );
    }),
});

Deno.test({
  name:
    "a state directory that others may write (0777, or /tmp's 1777) is refused by every subcommand and the client, exit 5",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      for (const mode of [0o777, 0o1777]) {
        const state = `${home}/open-${mode.toString(8)}`;
        Deno.mkdirSync(state);
        plant(state);
        Deno.chmodSync(state, mode);
        await assertRefusedEverywhere(
          home,
          state,
          new RegExp(
            `Refusing "${state}": others may write to it \\(mode ${
              mode.toString(8).padStart(4, "0")
            }\\).*chmod go-w`,
          ),
        );
      }
    }),
});
