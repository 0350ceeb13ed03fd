/**
 * Tests of `deno task compile` (scripts/compile.ts) on a machine that cannot
 * download `denort`: the one-line error, target validation, and everything
 * up to the base binary, run for real with the `deno` CLI standing in for
 * `denort` (which the smoke test must then reject).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { RUNTIME_PERMISSIONS } from "./_harness/cli.ts";
import { runtimePermissions } from "../scripts/compile.ts";
import { exists } from "./_harness/fs.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Runs `deno task compile ARGS` with `env` on top of ours, minus DENORT_BIN. */
async function compileTask(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; lines: string[]; stderr: string }> {
  const base = Deno.env.toObject();
  delete base.DENORT_BIN;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", ...args],
    cwd: ROOT,
    env: { ...base, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  // `deno task` echoes the task's command line first; the rest is ours.
  const lines = stderr.split("\n").filter((l) =>
    l.trim() !== "" && !l.startsWith("Task compile ")
  );
  return { code: out.code, lines, stderr };
}

/**
 * A fresh DENO_DIR that shares the npm cache (so the lockfile's packages
 * resolve offline) but has no cached denort.
 */
async function denoDirWithoutDenort(): Promise<string> {
  // Fill the shared npm cache first (a no-op once `deno task test` checked).
  await new Deno.Command(Deno.execPath(), {
    args: ["cache", "main.ts"],
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).output();
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const { denoDir } = JSON.parse(new TextDecoder().decode(info.stdout));
  const dir = await Deno.makeTempDir({ prefix: "pryx-deno-dir-" });
  await Deno.symlink(`${denoDir}/npm`, `${dir}/npm`);
  return dir;
}

Deno.test("compile without DENORT_BIN and no network fails with one line naming DENORT_BIN", async () => {
  const denoDir = await denoDirWithoutDenort();
  try {
    const unreachable = "http://127.0.0.1:9";
    const { code, lines, stderr } = await compileTask([], {
      DENO_DIR: denoDir,
      HTTPS_PROXY: unreachable,
      HTTP_PROXY: unreachable,
      https_proxy: unreachable,
      http_proxy: unreachable,
    });
    assert.deepStrictEqual(code, 1, stderr);
    assert.deepStrictEqual(lines.length, 1, stderr);
    assert.match(
      lines[0],
      /^pryx-core compile: cannot download denort for (x86_64|aarch64)-/,
    );
    assert.match(lines[0], /set DENORT_BIN=\/path\/to\/denort/);
    assert.doesNotMatch(stderr, /Stack backtrace|^\s+at /m);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

Deno.test("compile rejects an unknown target with exit 2 and the list of targets", async () => {
  const { code, lines, stderr } = await compileTask(["riscv64-linux"]);
  assert.deepStrictEqual(code, 2, stderr);
  assert.deepStrictEqual(lines.length, 1, stderr);
  assert.match(
    lines[0],
    /Unknown target "riscv64-linux": use one of .*x86_64-pc-windows-msvc/,
  );
});

Deno.test("compile rejects a DENORT_BIN that is not a file with exit 2", async () => {
  const { code, lines, stderr } = await compileTask([], {
    DENORT_BIN: "/nonexistent/denort",
  });
  assert.deepStrictEqual(code, 2, stderr);
  assert.deepStrictEqual(lines.length, 1, stderr);
  assert.match(lines[0], /DENORT_BIN="\/nonexistent\/denort" is not a file/);
});

Deno.test("compile checks, embeds every subcommand with the runtime permissions, and rejects a base binary that is not denort", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pryx-compile-" });
  try {
    const output = `${dir}/pryx-core`;
    const { code, lines, stderr } = await compileTask(
      ["--output", output],
      // The deno CLI is not a denort: the binary builds but does not run as
      // pryx-core, which the smoke test must catch.
      { DENORT_BIN: Deno.execPath() },
    );
    assert.deepStrictEqual(code, 1, stderr);
    assert.match(stderr, /deno check main\.ts/);
    // Every subcommand and server module is loaded lazily: the graph check
    // passed only if each one is embedded.
    assert.match(stderr, /Module graph: \d+ local modules and 1 npm package/);
    assert.doesNotMatch(stderr, /is not in the module graph/);
    // The lazily loaded modules are not in the graph deno compile walks by
    // itself: each is named with --include.
    for (const lazy of ["lib/cli/serve.ts", "lib/server/app.ts"]) {
      assert.match(stderr, new RegExp(`--include ${lazy} `));
    }
    assert.match(
      stderr,
      new RegExp(`deno compile ${RUNTIME_PERMISSIONS.join(" ")} --target`),
    );
    assert.doesNotMatch(stderr, /deno compile .*(-A|--allow-all)\b/);
    assert.match(
      lines.at(-1) ?? "",
      /^pryx-core compile: The built binary does not run as pryx-core .*not the deno CLI\?$/,
    );
    assert(!exists(output), "the broken binary is removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the binary gets exactly the permissions of deno task start", () => {
  const denoJson = Deno.readTextFileSync(`${ROOT}/deno.json`);
  assert.deepStrictEqual(runtimePermissions(denoJson), RUNTIME_PERMISSIONS);
});

/** A target of this machine's OS with the other architecture. */
function otherArchTarget(): string {
  const host = Deno.build.target;
  return host.startsWith("x86_64-")
    ? host.replace(/^x86_64-/, "aarch64-")
    : host.replace(/^aarch64-/, "x86_64-");
}

Deno.test("compile refuses a DENORT_BIN of another architecture than the target with exit 2", async () => {
  const target = otherArchTarget();
  const { code, lines, stderr } = await compileTask([target], {
    DENORT_BIN: Deno.execPath(),
  });
  assert.deepStrictEqual(code, 2, stderr);
  assert.deepStrictEqual(lines.length, 1, stderr);
  assert.match(
    lines[0],
    new RegExp(
      `cannot build ${target}: it is an \\S+ \\(\\w+\\) ${Deno.build.arch} binary, and ${target} needs`,
    ),
  );
});

Deno.test("compile uses a denort zip in Deno's cache only when it matches the published SHA-256 saved beside it", async () => {
  const denoDir = await denoDirWithoutDenort();
  try {
    const dl = `${denoDir}/dl/release/v${Deno.version.deno}`;
    Deno.mkdirSync(dl, { recursive: true });
    const zip = `${dl}/denort-${Deno.build.target}.zip`;
    Deno.writeTextFileSync(zip, "PK not really a zip");
    const missing = await compileTask([], { DENO_DIR: denoDir });
    assert.deepStrictEqual(missing.code, 1, missing.stderr);
    assert.deepStrictEqual(missing.lines.length, 1, missing.stderr);
    assert.match(
      missing.lines[0],
      /is not used: no published SHA-256 beside it: save denort-.*\.zip\.sha256sum/,
    );
    Deno.writeTextFileSync(`${zip}.sha256sum`, `${"0".repeat(64)}  x.zip\n`);
    const tampered = await compileTask([], { DENO_DIR: denoDir });
    assert.deepStrictEqual(tampered.code, 1, tampered.stderr);
    assert.match(tampered.lines[0], /the published one is 0{64}/);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});
