/**
 * `deno task install`: puts `pryx-core` on PATH from this checkout with
 * Deno's own `deno install -g`, so it runs from any directory.
 *
 * Steps, each of which stops with one clear line on failure:
 * 1. `deno install -g --force -n pryx-core` of `main.ts`, with exactly the
 *    runtime permissions and this checkout's `deno.json` and `deno.lock`
 *    (`--force` makes a second run an upgrade). The install root is
 *    Deno's: `DENO_INSTALL_ROOT`, else `$HOME/.deno` (`%USERPROFILE%\.deno`
 *    on Windows); the command goes into its `bin` directory.
 * 2. Deno copies the configuration beside the shim (`bin/.pryx-core/`) but
 *    not its lockfile, while the configuration freezes the lock, so the
 *    shim would refuse to start ("The lockfile is out of date";
 *    denoland/deno#30610 is the same gap for JSR packages): the checkout's
 *    `deno.lock` is copied there too, so `npm:hono` resolves to exactly the
 *    locked version from any working directory.
 * 3. On Unix the shim's `exec deno` names the Deno binary that runs this
 *    install (`Deno.execPath()`), not whatever `deno` PATH finds: npm's
 *    global `deno` is a Node launcher (`bin.cjs`) that does not pass
 *    signals on, so `kill $!` of `pryx-core serve &` would end the
 *    launcher and leave the runtime running, and it adds about 90 ms to
 *    every command. (Windows' `.cmd` shim is left as Deno writes it.)
 * 4. Smoke test: the installed command, run from a temp directory, must
 *    print this version.
 *
 * `deno task uninstall` is `deno uninstall -g pryx-core` (same root).
 *
 * @example
 * ```sh
 * deno task install                              # ~/.deno/bin/pryx-core
 * DENO_INSTALL_ROOT=/opt/pryx deno task install  # /opt/pryx/bin/pryx-core
 * deno task uninstall
 * ```
 *
 * @module
 */

import { RUNTIME_PERMISSIONS, VERSION } from "../lib/shared/config.ts";
import { fileUrlToPath } from "../lib/shared/file_url.ts";
import { pathDirs } from "../lib/cli/command_path.ts";
import { shellQuote } from "../lib/shared/shell.ts";

/** The name of the installed command. */
export const COMMAND_NAME = "pryx-core";

import { type Os, pathSeparator } from "../lib/shared/os.ts";

const ROOT = fileUrlToPath(new URL("..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/**
 * Deno's install root: `DENO_INSTALL_ROOT`, else `.deno` in the home
 * directory (`HOME`, or `USERPROFILE` on Windows), as `deno install -g`
 * documents it (docs.deno.com, "deno install": "--root ... defaults to
 * $DENO_INSTALL_ROOT or $HOME/.deno").
 *
 * @throws {Error} When neither the variable nor a home directory is set.
 */
export function installRoot(
  env: (name: string) => string | undefined,
  os: Os = Deno.build.os,
): string {
  const root = env("DENO_INSTALL_ROOT");
  if (root) return root.replace(/[\\/]+$/, "");
  const home = os === "windows"
    ? env("USERPROFILE") ?? env("HOME")
    : env("HOME");
  if (!home) {
    throw new Error(
      "Cannot find the home directory: set HOME or DENO_INSTALL_ROOT",
    );
  }
  return `${home.replace(/[\\/]+$/, "")}${pathSeparator(os)}.deno`;
}

/**
 * The installed shim (`bin/pryx-core`, `bin\pryx-core.cmd` on Windows) and
 * the directory where Deno keeps its copy of the configuration.
 */
export function installedPaths(
  root: string,
  os: Os = Deno.build.os,
): { bin: string; shim: string; configDir: string } {
  const sep = pathSeparator(os);
  const bin = `${root}${sep}bin`;
  return {
    bin,
    shim: `${bin}${sep}${COMMAND_NAME}${os === "windows" ? ".cmd" : ""}`,
    configDir: `${bin}${sep}.${COMMAND_NAME}`,
  };
}

/**
 * The arguments of `deno` that install `main.ts` of `checkout` as
 * {@linkcode COMMAND_NAME}, with exactly the runtime permissions.
 */
export function installArgs(
  checkout: string,
  os: Os = Deno.build.os,
): string[] {
  const sep = pathSeparator(os);
  return [
    "install",
    "--global",
    "--force",
    "--name",
    COMMAND_NAME,
    "--config",
    `${checkout}${sep}deno.json`,
    "--lock",
    `${checkout}${sep}deno.lock`,
    ...RUNTIME_PERMISSIONS,
    `${checkout}${sep}main.ts`,
  ];
}

/**
 * The shim `deno install` wrote, made to run `deno` (the absolute path of
 * the Deno binary) rather than the first `deno` on PATH (step 3 above).
 *
 * @param os Windows' `.cmd` shim is returned unchanged.
 */
export function pinDenoInShim(shim: string, deno: string, os: Os): string {
  if (os === "windows") return shim;
  return shim.replace(/^exec deno /m, `exec ${shellQuote(deno)} `);
}

/**
 * Installs, fixes the lock up and smoke-tests.
 *
 * @returns The exit code.
 */
export async function install(): Promise<number> {
  const env = (name: string) => Deno.env.get(name);
  const root = installRoot(env);
  const paths = installedPaths(root);
  const out = await new Deno.Command(Deno.execPath(), {
    args: installArgs(ROOT),
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    Deno.stderr.writeSync(out.stderr);
    fail(`deno install failed (exit ${out.code}); see its message above`);
  }
  Deno.copyFileSync(`${ROOT}/deno.lock`, `${paths.configDir}/deno.lock`);
  const shim = Deno.readTextFileSync(paths.shim);
  const pinned = pinDenoInShim(shim, Deno.execPath(), Deno.build.os);
  if (pinned !== shim) Deno.writeTextFileSync(paths.shim, pinned);
  const tmp = Deno.makeTempDirSync({ prefix: "pryx-install-" });
  try {
    const smoke = await new Deno.Command(paths.shim, {
      args: ["--version"],
      cwd: tmp,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const printed = new TextDecoder().decode(smoke.stdout).trim();
    if (printed !== VERSION) {
      fail(
        `The installed ${paths.shim} does not run ("--version" gave: ${
          new TextDecoder().decode(smoke.stderr).trim().split("\n")[0] ||
          printed || `exit ${smoke.code}`
        }); it runs ${Deno.execPath()}: install Deno with "npm install -g deno@${Deno.version.deno}", then run "deno task install" again`,
      );
    }
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
  console.error(`Installed ${COMMAND_NAME} ${VERSION}: ${paths.shim}`);
  const onPath = pathDirs(env("PATH")).some((dir) =>
    samePathEntry(dir, paths.bin, Deno.build.os)
  );
  if (!onPath) {
    console.error(pathHint(paths.bin, env("SHELL"), Deno.build.os));
  }
  console.error(`Uninstall with: deno task uninstall`);
  return 0;
}

/**
 * The one line that says how to put `bin` on PATH for the user's shell
 * (its `$SHELL`): the file that shell reads when a new terminal opens, as
 * its manual says: bash(1) reads `~/.bashrc` for an interactive non-login
 * shell (a new terminal tab on most Linux desktops) and not `~/.profile`;
 * zsh(1) reads `~/.zshrc`; fish adds to its universal PATH with
 * `fish_add_path`. Any other shell gets `~/.profile`, which login shells
 * read, with that said.
 *
 * @param shell `$SHELL`, e.g. `/bin/bash`; `undefined` when unset.
 * @param os Windows: the system settings.
 */
export function pathHint(
  bin: string,
  shell: string | undefined,
  os: Os,
): string {
  if (os === "windows") {
    return `Add ${bin} to your PATH (System settings > Environment variables), then open a new terminal`;
  }
  const name = shell?.slice(shell.lastIndexOf("/") + 1);
  const line = `'export PATH="${bin}:$PATH"'`;
  switch (name) {
    case "bash":
      return `Add it to your PATH: echo ${line} >> ~/.bashrc, then open a new terminal (a login shell reads ~/.profile or ~/.bash_profile instead: add it there too if you log in on a console)`;
    case "zsh":
      return `Add it to your PATH: echo ${line} >> ~/.zshrc, then open a new terminal`;
    case "fish":
      return `Add it to your PATH: fish_add_path ${bin}, then open a new terminal`;
    default:
      return `Add it to your PATH: echo ${line} >> ~/.profile, then log in again (~/.profile is read by login shells; an interactive shell of yours may read another file)`;
  }
}

/**
 * Whether a `PATH` entry names `dir`: trailing separators aside, and on
 * Windows, whose file names are case-insensitive and take `/` for `\\`,
 * in any case and either separator.
 */
export function samePathEntry(entry: string, dir: string, os: Os): boolean {
  const norm = (p: string) => {
    const trimmed = p.replace(/[\\/]+$/, "");
    return os === "windows"
      ? trimmed.replaceAll("/", "\\").toLowerCase()
      : trimmed;
  };
  return norm(entry) === norm(dir);
}

function fail(message: string): never {
  console.error(`pryx-core install: ${message}`);
  Deno.exit(1);
}

if (import.meta.main) {
  Deno.exit(await install());
}
