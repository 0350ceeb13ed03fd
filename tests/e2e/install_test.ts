/**
 * `deno task install` / `deno task uninstall` for real, into a temp
 * `DENO_INSTALL_ROOT`: the installed `pryx-core` runs from another
 * directory (a user's project, with a `deno.json` of its own), `run` starts
 * CMD there against a live runtime, and uninstall removes the command.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { childEnv, runProgram, tempHome } from "../_harness/cli.ts";
import { exists } from "../_harness/fs.ts";
import {
  installedPaths,
  pathHint,
  pinDenoInShim,
  samePathEntry,
} from "../../scripts/install.ts";
import { shellQuote } from "../../lib/shared/shell.ts";
import { findCommand, spawnLine } from "../../lib/cli/command_path.ts";
import { VERSION } from "../../lib/shared/config.ts";
import { killIfRunning } from "../_harness/process.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DENO_BIN_DIR = Deno.execPath().replace(/[\\/][^\\/]+$/, "");
const PATH_SEP = Deno.build.os === "windows" ? ";" : ":";

/** CMD: prints its working directory and `PRYX_API_URL`, then waits. */
const CMD_SCRIPT = `
console.log(Deno.cwd());
console.log(Deno.env.get("PRYX_API_URL"));
await Deno.stdin.read(new Uint8Array(1));
`;

/** Runs `deno task NAME` in the checkout with `env` on top. */
function task(name: string, env: Record<string, string>) {
  return runProgram(Deno.execPath(), ["task", name], { cwd: ROOT, env });
}

Deno.test("deno task install puts pryx-core on PATH; run from another directory runs CMD there against a live runtime; uninstall removes it", async () => {
  const root = await Deno.makeTempDir({ prefix: "pryx-install-root-" });
  const project = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "pryx user project " }),
  );
  const home = await tempHome();
  try {
    // A Deno user's project: its own deno.json must not decide how the
    // installed pryx-core resolves its imports.
    Deno.writeTextFileSync(
      `${project}/deno.json`,
      JSON.stringify({
        imports: { hono: "npm:hono@3.0.0" },
        lock: { frozen: true },
      }),
    );
    const installed = await task("install", { DENO_INSTALL_ROOT: root });
    assert.deepStrictEqual(installed.code, 0, installed.stderr);
    const paths = installedPaths(root);
    assert(exists(paths.shim), `${paths.shim} exists`);
    if (Deno.build.os !== "windows") {
      // The Deno that installed it, not the first deno on PATH (npm's is a
      // Node launcher that does not pass signals on).
      assert(
        Deno.readTextFileSync(paths.shim).includes(
          `exec ${shellQuote(Deno.execPath())} `,
        ),
        Deno.readTextFileSync(paths.shim),
      );
    }
    assert.match(
      installed.stderr,
      new RegExp(`Installed pryx-core ${VERSION}`),
    );

    // The user's shell: the install's bin directory and deno on PATH.
    const env = childEnv({
      PRYX_HOME: home,
      PATH: [paths.bin, DENO_BIN_DIR, Deno.env.get("PATH") ?? ""].join(
        PATH_SEP,
      ),
    });
    const resolved = findCommand("pryx-core", (n) => env[n]);
    assert.deepStrictEqual(resolved, paths.shim);
    // CMD prints where it runs and the URL it got, then waits for a line on
    // stdin; deno itself, so the same CMD runs on every OS.
    const line = spawnLine("pryx-core", [
      "run",
      "--",
      Deno.execPath(),
      "eval",
      "--no-config",
      CMD_SCRIPT,
    ], resolved);
    const child = new Deno.Command(line.cmd, {
      args: line.args,
      windowsRawArguments: line.windowsRawArguments,
      cwd: project,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    try {
      while (out.split("\n").length < 3) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      const [cwd, url] = out.split("\n");
      assert.deepStrictEqual(cwd, project, `stdout: ${out}`);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await (await fetch(`${url}/health`)).json();
      assert.deepStrictEqual(health.service, "pryx-core");
      assert.deepStrictEqual(health.status, "ok");
      // Let CMD finish: run exits with its code, and the runtime it started
      // exits by itself once its last lease has gone.
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("\n"));
      await writer.close();
      const status = await child.status;
      assert.deepStrictEqual(status.code, 0, await stderr);
      const deadline = Date.now() + 15_000;
      while (exists(`${home}/runtime.port`) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert(!exists(`${home}/runtime.port`), "the runtime it started is gone");
    } finally {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
      await stderr.catch(() => {});
    }

    const removed = await task("uninstall", { DENO_INSTALL_ROOT: root });
    assert.deepStrictEqual(removed.code, 0, removed.stderr);
    assert(!exists(paths.shim), "the command is gone");
    assert(!exists(paths.configDir), "its configuration copy is gone");
    assert.deepStrictEqual(
      findCommand("pryx-core", (n) => n === "PATH" ? paths.bin : env[n]),
      undefined,
      "nothing named pryx-core is left in the install's bin directory",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(project, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the shim runs the Deno that installed it on Unix, and is left alone on Windows", () => {
  const unix =
    "#!/bin/sh\n# generated by deno install\nexec deno run -A 'file:///x/main.ts' \"$@\"\n";
  assert.deepStrictEqual(
    pinDenoInShim(unix, "/opt/my deno/bin/deno", "linux"),
    "#!/bin/sh\n# generated by deno install\nexec '/opt/my deno/bin/deno' run -A 'file:///x/main.ts' \"$@\"\n",
  );
  assert.match(
    pinDenoInShim(unix, "/usr/bin/deno", "darwin"),
    /^exec \/usr\/bin\/deno run /m,
  );
  const cmd = '@deno run -A "file:///C:/x/main.ts" %*\r\n';
  assert.deepStrictEqual(pinDenoInShim(cmd, "C:\\deno.exe", "windows"), cmd);
});

Deno.test("deno task pryx runs the CLI from the checkout", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", "pryx", "--version"],
    cwd: ROOT,
    env: childEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.deepStrictEqual(r.code, 0, new TextDecoder().decode(r.stderr));
  assert.deepStrictEqual(new TextDecoder().decode(r.stdout), `${VERSION}\n`);
});

Deno.test("a PATH entry names the install's bin directory in the OS's own spelling", () => {
  assert(samePathEntry("/home/me/.deno/bin/", "/home/me/.deno/bin", "linux"));
  assert(!samePathEntry("/home/me/.Deno/bin", "/home/me/.deno/bin", "linux"));
  assert(
    samePathEntry(
      "c:/users/me/.deno/BIN\\",
      "C:\\Users\\me\\.deno\\bin",
      "windows",
    ),
  );
  assert(
    !samePathEntry(
      "C:\\Users\\me\\.deno",
      "C:\\Users\\me\\.deno\\bin",
      "windows",
    ),
  );
});

Deno.test("the PATH hint names the file the user's shell reads: bash ~/.bashrc, zsh ~/.zshrc, fish fish_add_path, else ~/.profile with the note", () => {
  const bin = "/home/ada/.deno/bin";
  assert.match(pathHint(bin, "/bin/bash", "linux"), />> ~\/\.bashrc,/);
  assert.match(pathHint(bin, "/usr/local/bin/zsh", "darwin"), />> ~\/\.zshrc,/);
  assert.match(
    pathHint(bin, "/usr/bin/fish", "linux"),
    /fish_add_path \/home\/ada\/\.deno\/bin,/,
  );
  for (const shell of ["/bin/sh", "/bin/dash", undefined]) {
    assert.match(
      pathHint(bin, shell, "linux"),
      />> ~\/\.profile, then log in again \(~\/\.profile is read by login shells/,
    );
  }
  assert.match(
    pathHint("C:\\Users\\ada\\.deno\\bin", "/bin/bash", "windows"),
    /System settings/,
  );
});

Deno.test({
  name:
    "the bash hint, run as printed, makes the command found by a new interactive non-login bash",
  ignore: Deno.build.os === "windows",
  async fn() {
    const home = await tempHome();
    try {
      const bin = `${home}/.deno/bin`;
      Deno.mkdirSync(bin, { recursive: true });
      Deno.writeTextFileSync(`${bin}/pryx-core`, "#!/bin/sh\necho ok\n", {
        mode: 0o755,
      });
      const hint = pathHint(bin, "/bin/bash", "linux");
      const command = /: (echo .*? >> ~\/\.bashrc),/.exec(hint)![1];
      const env = { HOME: home, PATH: "/usr/bin:/bin" };
      const wrote = await runProgram("sh", ["-c", command], { env });
      assert.equal(wrote.code, 0, wrote.stderr);
      const found = await runProgram("bash", ["-ic", "pryx-core"], { env });
      assert.equal(found.stdout.trim(), "ok", found.stderr);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
