/**
 * Black-box tests of `pryx-core completions`: the bash script run for real
 * (COMP_WORDS in, COMPREPLY out) against the real CLI, and the zsh and fish
 * scripts loaded by their shells where those are installed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { cliCommand, runCli, runProgram, withHome } from "../_harness/cli.ts";
import { SUBCOMMANDS } from "../../lib/cli/subcommands.ts";
import { FLAGS as DISCOVER_FLAGS } from "../../lib/cli/discover.ts";
import { findCommand } from "../../lib/cli/command_path.ts";

const env = (name: string) => Deno.env.get(name);
const BASH = findCommand("bash", env);
const ZSH = findCommand("zsh", env);
const FISH = findCommand("fish", env);

/**
 * A directory with a `pryx-core` on it that runs the CLI under test, as a
 * user's PATH has it (the scripts call `pryx-core completions --instances`).
 */
async function withCliOnPath<T>(fn: (bin: string) => Promise<T>): Promise<T> {
  const bin = await Deno.makeTempDir({ prefix: "pryx-bin-" });
  try {
    const [cmd, args] = cliCommand([]);
    const quoted = [cmd, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
    Deno.writeTextFileSync(
      `${bin}/pryx-core`,
      `#!/bin/sh\nexec ${quoted.join(" ")} "$@"\n`,
      { mode: 0o755 },
    );
    return await fn(bin);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
}

/** A shell's environment: the installed CLI first on PATH, a test home. */
function shellEnv(bin: string, home: string): Record<string, string> {
  return {
    PATH: `${bin}:${Deno.env.get("PATH")}`,
    PRYX_HOME: home,
    HOME: home,
  };
}

let bashScript: Promise<string> | undefined;

/** Completes `words` (the last one being completed) with the bash script. */
async function bashComplete(
  bin: string,
  home: string,
  words: string[],
): Promise<string[]> {
  bashScript ??= runCli(["completions", "bash"]).then((r) => r.stdout);
  const script = await bashScript;
  const array = words.map((w) => `'${w}'`).join(" ");
  const out = await runProgram(BASH!, [
    "--norc",
    "-c",
    `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${
      words.length - 1
    }; _pryx_core; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ], { env: shellEnv(bin, home) });
  assert(out.code === 0, out.stderr);
  return out.stdout.split("\n").filter((l) => l);
}

Deno.test({
  name:
    "bash completes subcommands, each subcommand's flags, flag values and live instance names",
  ignore: BASH === undefined || Deno.build.os === "windows",
  fn: () =>
    withHome((home) =>
      withCliOnPath(async (bin) => {
        for (const name of ["dev", "api"]) {
          Deno.writeTextFileSync(`${home}/${name}.port`, "1\n");
        }
        Deno.writeTextFileSync(`${home}/.dev.port.1.x.tmp`, "");
        assert.deepStrictEqual(
          await bashComplete(bin, home, ["pryx-core", ""]),
          [...Object.keys(SUBCOMMANDS), "--help", "--version"],
        );
        assert.deepStrictEqual(
          await bashComplete(bin, home, ["pryx-core", "di"]),
          ["discover"],
        );
        assert.deepStrictEqual(
          await bashComplete(bin, home, ["pryx-core", "discover", "--"]),
          [...Object.keys(DISCOVER_FLAGS).map((f) => `--${f}`), "--help"],
        );
        assert.deepStrictEqual(
          await bashComplete(bin, home, [
            "pryx-core",
            "stop",
            "--instance",
            "",
          ]),
          ["api", "dev"],
        );
        assert.deepStrictEqual(
          await bashComplete(bin, home, [
            "pryx-core",
            "discover",
            "--format",
            "j",
          ]),
          ["json"],
        );
        assert.deepStrictEqual(
          await bashComplete(bin, home, ["pryx-core", "completions", "z"]),
          ["zsh"],
        );
        assert.deepStrictEqual(
          await bashComplete(bin, home, ["pryx-core", "service", ""]),
          ["install", "uninstall", "status"],
        );
        assert(
          (await bashComplete(bin, home, [
            "pryx-core",
            "service",
            "install",
            "--pr",
          ]))
            .includes("--print"),
          "the flags of service install",
        );
        assert(
          (await bashComplete(bin, home, ["pryx-core", "run", "--", "ech"]))
            .includes("echo"),
          "CMD after run --",
        );
        // A --state-dir earlier on the line is where the names come from.
        const other = `${home}/other`;
        Deno.mkdirSync(other);
        Deno.writeTextFileSync(`${other}/solo.json`, "{}");
        assert.deepStrictEqual(
          await bashComplete(bin, home, [
            "pryx-core",
            "run",
            "--state-dir",
            other,
            "--instance",
            "",
          ]),
          ["solo"],
        );
      })
    ),
});

Deno.test("completions without a known shell is a usage error, and --instances lists the state directory's instances, not the dead names a clean stop or a failed start leaves", () =>
  withHome(async (home) => {
    for (const args of [["completions"], ["completions", "tcsh"]]) {
      const r = await runCli(args, { env: { PRYX_HOME: home } });
      assert.deepStrictEqual(r.code, 2, r.stderr);
      assert.match(r.stderr, /^pryx-core: completions needs one shell/);
    }
    // A clean stop's lock file alone; a failed start's lock, record and log.
    Deno.writeTextFileSync(`${home}/b.lock`, "");
    for (const file of ["f.lock", "f.error", "f.log"]) {
      Deno.writeTextFileSync(`${home}/${file}`, "");
    }
    Deno.writeTextFileSync(`${home}/a.port`, "1\n");
    Deno.writeTextFileSync(`${home}/a.json`, "{}");
    Deno.writeTextFileSync(`${home}/c.json`, "{}");
    Deno.writeTextFileSync(`${home}/NOT-AN-INSTANCE.port`, "");
    const r = await runCli(["completions", "--instances"], {
      env: { PRYX_HOME: home },
    });
    assert.deepStrictEqual(r.code, 0, r.stderr);
    assert.deepStrictEqual(r.stdout, "a\nc\n");
  }));

Deno.test({
  name: "the zsh script loads in zsh and registers _pryx_core for pryx-core",
  ignore: ZSH === undefined,
  fn: async () => {
    const script = (await runCli(["completions", "zsh"])).stdout;
    const out = await runProgram(ZSH!, [
      "-f",
      "-c",
      `autoload -U compinit && compinit -u -D\n${script}\nprint -r -- $_comps[pryx-core]`,
    ]);
    assert(out.code === 0, out.stderr);
    assert.deepStrictEqual(out.stdout.trim(), "_pryx_core");
  },
});

Deno.test({
  name:
    "the fish script loads in fish and completes subcommands and instance names",
  ignore: FISH === undefined,
  fn: () =>
    withHome((home) =>
      withCliOnPath(async (bin) => {
        Deno.writeTextFileSync(`${home}/dev.port`, "1\n");
        const script = (await runCli(["completions", "fish"])).stdout;
        const file = `${home}/pryx-core.fish`;
        Deno.writeTextFileSync(file, script);
        const out = await runProgram(FISH!, [
          "--no-config",
          "-c",
          `source ${file}; complete -C 'pryx-core disc'; complete -C 'pryx-core stop --instance '; complete -C 'pryx-core run -- ech'`,
        ], { env: shellEnv(bin, home) });
        assert(out.code === 0, out.stderr);
        const lines = out.stdout.split("\n").map((l) => l.split("\t")[0]);
        assert(lines.includes("discover"), lines.join(","));
        assert(lines.includes("dev"), lines.join(","));
        assert(lines.includes("echo"), `CMD after run --: ${lines.join(",")}`);
      })
    ),
});
