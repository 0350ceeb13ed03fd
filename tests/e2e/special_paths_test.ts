/**
 * A state directory in a system tree that Deno opens only for `--allow-all`
 * (`/proc`, `/sys`, `/dev` on Linux) is refused by every subcommand with
 * exit 5 and one line that says to choose another, never Deno's hint to
 * add `--allow-all`; so is a token file there (exit 2). A program that does
 * run with `--allow-all` is not refused what Deno lets it use.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { NOT_LINUX, runCli, runProgram, withHome } from "../_harness/cli.ts";

/** Every subcommand that uses the state directory, as a user runs it. */
const SUBCOMMANDS = [
  ["serve"],
  ["discover"],
  ["list"],
  ["stop"],
  ["prune"],
  ["run", "--", "true"],
  ["completions", "--instances"],
];

/** Asserts the one-line refusal of `dir` (exit 5), naming `tree`. */
function assertRefused(
  r: { code: number; stdout: string; stderr: string },
  what: string,
  tree: string,
): void {
  assert.equal(r.code, 5, `${what}: ${r.stderr}`);
  assert.equal(r.stdout, "", what);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
  assert.match(
    lines[0],
    new RegExp(
      `^pryx-core: Cannot use state directory "[^"]*"( \\(it leads to [^)]*\\))?: Deno does not let pryx-core use files under ${tree}; choose a state directory elsewhere with PRYX_HOME or --state-dir$`,
    ),
    what,
  );
  assert.doesNotMatch(r.stderr, /allow-all/, what);
}

Deno.test({
  name:
    "PRYX_HOME=/proc/foo is refused by every subcommand with exit 5 and one line that says to choose another directory",
  ignore: NOT_LINUX,
  fn: async () => {
    const results = await Promise.all(
      SUBCOMMANDS.map((args) =>
        runCli(args, { env: { PRYX_HOME: "/proc/foo" }, timeoutMs: 15_000 })
      ),
    );
    for (const [i, args] of SUBCOMMANDS.entries()) {
      assertRefused(results[i], args.join(" "), "/proc");
    }
  },
});

Deno.test({
  name:
    "/sys and /dev are refused like /proc, from --state-dir, a relative path and .. too",
  ignore: NOT_LINUX,
  fn: async () => {
    const cases: [
      string[],
      { cwd?: string; env?: Record<string, string> },
      string,
    ][] = [
      [["list", "--state-dir", "/sys/pryx"], {}, "/sys"],
      [["discover"], { env: { PRYX_HOME: "/dev/shm/pryx" } }, "/dev"],
      [["serve", "--state-dir", "/tmp/../proc/pryx"], {}, "/proc"],
      [["stop"], { cwd: "/proc", env: { PRYX_HOME: "pryx" } }, "/proc"],
    ];
    for (const [args, options, tree] of cases) {
      const r = await runCli(args, options);
      assertRefused(r, args.join(" "), tree);
    }
    const relative = await runCli(["list"], {
      cwd: "/proc",
      env: { PRYX_HOME: "pryx" },
    });
    assert.match(relative.stderr, /"pryx" \(it leads to \/proc\/pryx\)/);
  },
});

Deno.test({
  name:
    "a state directory that leads into /dev through a symbolic link is refused, naming where it leads",
  ignore: NOT_LINUX,
  fn: () =>
    withHome(async (home) => {
      Deno.symlinkSync("/dev", `${home}/link`);
      const r = await runCli(["list"], {
        env: { PRYX_HOME: `${home}/link/pryx` },
      });
      assertRefused(r, "list", "/dev");
      assert.match(r.stderr, /\(it leads to \/dev\/pryx\)/);
    }),
});

Deno.test({
  name:
    "a program run with --allow-all is not refused a state directory Deno lets it use",
  // The check asks Deno rather than assuming: under --allow-all, /dev/shm works.
  ignore: NOT_LINUX || Deno.env.get("PRYX_CORE_BIN") !== undefined ||
    !isDirectory("/dev/shm"),
  fn: async () => {
    const dir = `/dev/shm/pryx-test-${crypto.randomUUID()}`;
    const main = fileURLToPath(new URL("../../main.ts", import.meta.url));
    const r = await runProgram(Deno.execPath(), ["run", "-A", main, "list"], {
      env: { PRYX_HOME: dir },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `pryx-core: No instances in ${dir}\n`);
  },
});

Deno.test({
  name:
    "a token file under /dev or /proc is refused in one line that says to use a regular file elsewhere, exit 2",
  ignore: NOT_LINUX,
  fn: () =>
    withHome(async (home) => {
      for (
        const [flag, env] of [
          [["--token-file", "/dev/stdin"], {}],
          [[], { PRYX_TOKEN_FILE: "/proc/self/environ" }],
        ] as const
      ) {
        const r = await runCli(["serve", ...flag], {
          env: { PRYX_HOME: home, ...env },
        });
        assert.equal(r.code, 2, r.stderr);
        assert.match(
          r.stderr,
          /^pryx-core: Cannot read the token file "[^"]+": Deno does not let pryx-core use files under \/(dev|proc); point --token-file or PRYX_TOKEN_FILE at a regular file elsewhere\n$/,
        );
      }
    }),
});

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("a file in place of the state directory is one line and exit 5 in every subcommand", () =>
  withHome(async (root) => {
    const file = `${root}/not-a-dir`;
    Deno.writeTextFileSync(file, "");
    for (
      const args of [["serve"], ["discover"], ["list"], ["stop"], ["prune"], [
        "run",
        "--",
        "true",
      ]]
    ) {
      const r = await runCli(args, { env: { PRYX_HOME: file } });
      assert.equal(r.code, 5, `${args[0]}: ${r.stderr}`);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^pryx-core: .*not-a-dir/);
    }
  }));
