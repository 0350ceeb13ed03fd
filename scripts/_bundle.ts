/**
 * Runs `deno bundle` for the build scripts (`build_client.ts`,
 * `build_package.ts`) with one way of failing: an `Error` carrying bundle's
 * own message.
 *
 * One bundle at a time per Deno cache: on first use `deno bundle` copies
 * the esbuild binary from the npm cache into `$DENO_DIR/dl/`, and several
 * processes doing that at once into an empty cache fail ("failed to copy
 * esbuild binary"; two test runs, or a test run and a build, meet there).
 * So each bundle holds an exclusive file lock (`FsFile.lock`) on
 * `$DENO_DIR/.pryx-bundle.lock` while it runs.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** Options of {@linkcode denoBundle}. */
export interface BundleOptions {
  /**
   * The Deno cache the bundle uses (its `DENO_DIR`), default this process's.
   * Given to the child alone, so other code of this process (tests running
   * beside it) keeps its own cache.
   */
  denoDir?: string;
}

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
  options: BundleOptions = {},
): Promise<void> {
  const cache = options.denoDir ?? await denoDir();
  await Deno.mkdir(cache, { recursive: true });
  const lock = await Deno.open(`${cache}/.pryx-bundle.lock`, {
    read: true,
    write: true,
    create: true,
  });
  try {
    await lock.lock(true);
    await bundle(entry, out, flags, cache);
  } finally {
    lock.close(); // closing releases the lock
  }
}

/**
 * Deno's cache directory (`DENO_DIR`, else what `deno info --json` says),
 * created when missing.
 */
export async function denoDir(): Promise<string> {
  let dir = Deno.env.get("DENO_DIR");
  if (!dir) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    dir = (JSON.parse(new TextDecoder().decode(out.stdout)) as {
      denoDir: string;
    }).denoDir;
  }
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

async function bundle(
  entry: string,
  out: string,
  flags: string[],
  cache: string,
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
    env: { NO_COLOR: "1", DENO_DIR: cache },
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
