/**
 * The repository's `.npmrc`, read the way npm reads it on each OS, and the
 * one thing it was once bent for: a Ctrl-C under `npx -y deno@2.9.6 task
 * start` drains the runtime.
 *
 * npm runs a package's bin (`npx`, `npm exec`) through its `script-shell`:
 * `sh` on Unix and `%ComSpec%` on Windows by default (npm docs, "config",
 * `script-shell`). A `script-shell=/bin/bash` there made Windows fail
 * before the first test (`spawn /bin/bash ENOENT`), and `bash` alone would
 * find WSL's `bash.exe`; so the file sets none. A Ctrl-C needs none: the
 * terminal signals the whole foreground process group, the runtime
 * included.
 *
 * @module
 */

import assert from "node:assert/strict";
import { childEnv, waitUntil, withHome } from "./_harness/cli.ts";
import { exists } from "./_harness/fs.ts";
import { findCommand } from "../lib/cli/command_path.ts";
import type { Os } from "../lib/shared/os.ts";

/**
 * The settings of an `.npmrc` as npm's ini reader takes them: `key=value`
 * lines, `#` and `;` comments, `${VAR}` (and `${VAR?}`) replaced from
 * `env` (npm docs, "npmrc", "Files").
 */
function readNpmrc(
  text: string,
  env: (name: string) => string | undefined,
): Map<string, string> {
  const settings = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const value = line.slice(eq + 1).trim().replace(
      /\$\{([^}?]+)(\?)?\}/g,
      (_, name: string, optional?: string) => {
        const v = env(name);
        if (v === undefined && !optional) {
          throw new Error(`Failed to replace env in config: \${${name}}`);
        }
        return v ?? "";
      },
    );
    settings.set(line.slice(0, eq).trim(), value);
  }
  return settings;
}

/**
 * The shell npm on `os` spawns for a bin or script with `settings`, and
 * why it would not start there (`undefined` when it does).
 */
function scriptShellProblem(
  settings: Map<string, string>,
  os: Os,
): string | undefined {
  const shell = settings.get("script-shell");
  if (shell === undefined || shell === "") return undefined;
  if (os === "windows") {
    if (shell.startsWith("/")) return `${shell} is no Windows path (ENOENT)`;
    if (!/^[A-Za-z]:[\\/]/.test(shell)) {
      return `${shell} is looked up on PATH, where WSL's bash.exe may come first`;
    }
    return undefined;
  }
  return shell.startsWith("/") || !shell.includes("\\")
    ? undefined
    : `${shell} is no Unix path`;
}

const NPMRC = new URL("../.npmrc", import.meta.url);

for (const os of ["linux", "darwin", "windows"] as const) {
  Deno.test(`npm on ${os} starts the repository's script shell`, () => {
    const env = os === "windows"
      ? { ComSpec: "C:\\Windows\\system32\\cmd.exe" }
      : { HOME: "/home/me", SHELL: "/bin/zsh" } as Record<string, string>;
    const settings = readNpmrc(Deno.readTextFileSync(NPMRC), (n) => env[n]);
    assert.deepStrictEqual(scriptShellProblem(settings, os), undefined);
  });
}

Deno.test("the .npmrc check refuses what broke Windows", () => {
  const bash = readNpmrc("script-shell=/bin/bash\n", () => undefined);
  assert.match(scriptShellProblem(bash, "windows")!, /ENOENT/);
  assert.deepStrictEqual(scriptShellProblem(bash, "linux"), undefined);
  assert.match(
    scriptShellProblem(
      readNpmrc("script-shell=bash", () => undefined),
      "windows",
    )!,
    /WSL/,
  );
  assert.throws(
    () => readNpmrc("script-shell=${NOPE}", () => undefined),
    /Failed to replace env/,
  );
  assert.deepStrictEqual(
    readNpmrc("script-shell=${NOPE?}", () => undefined).get("script-shell"),
    "",
  );
});

Deno.test({
  name: "one Ctrl-C under npx -y deno task start drains the runtime",
  ignore: Deno.build.os === "windows" ||
    findCommand("npx", (n) => Deno.env.get(n)) === undefined,
  fn: () =>
    withHome(async (home) => {
      // Its own process group, as a terminal's foreground job is.
      const npx = new Deno.Command("npx", {
        args: ["-y", `deno@${Deno.version.deno}`, "task", "-q", "start"],
        cwd: new URL("..", import.meta.url),
        env: childEnv({ PRYX_HOME: home }),
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        detached: true,
      }).spawn();
      let stderr = "";
      const reading = (async () => {
        for await (const c of npx.stderr.pipeThrough(new TextDecoderStream())) {
          stderr += c;
        }
      })();
      let signalled = false;
      try {
        assert(
          await waitUntil(() => exists(`${home}/runtime.port`), 60_000),
          `it did not start: ${stderr}`,
        );
        Deno.kill(-npx.pid, "SIGINT");
        signalled = true;
        await npx.status;
        await reading;
        assert.match(stderr, /Received SIGINT, shutting down/);
        assert(!exists(`${home}/runtime.port`), "the port file is gone");
      } finally {
        if (!signalled) Deno.kill(-npx.pid, "SIGKILL");
        await npx.status;
      }
    }),
});
