/**
 * Helpers for tests that run the bundled client on the machine's Node.js:
 * its major version, and the `ws` package (Node before 22 has no global
 * `WebSocket`), installed once with npm into a cache directory that later
 * runs reuse.
 *
 * @module
 */

import { tempRoot } from "./fs.ts";

/** The `ws` version range the Node tests install. */
export const WS_RANGE = "8";

/** The major version of `node` on PATH, or `undefined` without one. */
export async function nodeMajor(): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("node", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const m = /^v(\d+)\./.exec(new TextDecoder().decode(out.stdout));
    return m === null ? undefined : Number(m[1]);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * The path of the `ws` package's ES module entry (`wrapper.mjs`), installed
 * with npm into `<tmp>/pryx-test-node-ws` on first use.
 *
 * @returns The path, or why it could not be installed (offline, no npm).
 */
export async function wsPackage(): Promise<{ path?: string; why?: string }> {
  const tmp = tempRoot();
  const dir = `${tmp}/pryx-test-node-ws`;
  const path = `${dir}/node_modules/ws/wrapper.mjs`;
  try {
    Deno.statSync(path);
    return { path };
  } catch {
    // not installed yet
  }
  try {
    const out = await new Deno.Command("npm", {
      args: [
        "install",
        "--prefix",
        dir,
        `ws@${WS_RANGE}`,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return {
        why: `npm install ws failed: ${
          new TextDecoder().decode(out.stderr).trim().split("\n")[0]
        }`,
      };
    }
    return { path };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { why: "npm not found" };
    throw err;
  }
}
