/**
 * Runs `deno bundle` for the build scripts (`build_cli.ts`, `build_client.ts`)
 * with one way of failing: an `Error` carrying bundle's own message.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/**
 * Bundles `entry` (relative to the repository root, or absolute) into the
 * file `out` as one ES module, with `flags` added (`--platform`, ...). Runs
 * from the root, so the bundle's "// lib/x.ts" markers are relative to it.
 *
 * @throws {Error} With `deno bundle`'s message when it fails.
 */
export async function denoBundle(
  entry: string,
  out: string,
  flags: string[],
): Promise<void> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--format",
      "esm",
      ...flags,
      "--output",
      out,
      entry,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const why = new TextDecoder().decode(result.stderr).trim();
    throw new Error(
      `deno bundle of ${entry} failed (exit ${result.code}): ${why}`,
    );
  }
}
