/**
 * Runs an npm command (`npm`, `npx`) from a build script the way a user's
 * shell would find it: on PATH, and on Windows through `cmd.exe` for its
 * `.cmd` shim (see `lib/cli/command_path.ts`). One way for every script.
 *
 * @module
 */

import { findCommand, spawnLine } from "../lib/cli/command_path.ts";

/** What an npm command printed and whether it succeeded. */
export interface NpmOutput {
  /** Exit code 0. */
  ok: boolean;
  /** Its standard output, decoded. */
  stdout: string;
  /** Its standard error, decoded. */
  stderr: string;
}

/**
 * Runs `tool ARGS` (`npm` or `npx`) to completion with stdin closed and
 * npm's update notice off; `env` is added to the environment.
 *
 * @throws {Error} When `tool` is not on PATH.
 */
export async function runNpm(
  tool: "npm" | "npx",
  args: string[],
  env: Record<string, string> = {},
): Promise<NpmOutput> {
  const getEnv = (name: string) => Deno.env.get(name);
  const found = findCommand(tool, getEnv);
  if (found === undefined) {
    throw new Error(`${tool} is not on PATH: install Node.js and npm`);
  }
  const line = spawnLine(
    tool,
    args,
    found,
    Deno.build.os,
    getEnv("ComSpec") || "cmd.exe",
  );
  const out = await new Deno.Command(line.cmd, {
    args: line.args,
    windowsRawArguments: line.windowsRawArguments,
    env: { npm_config_update_notifier: "false", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    ok: out.success,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}
