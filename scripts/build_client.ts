/**
 * `deno task build:client [OUT]`: builds the client module for Node and Bun
 * as one ES module, `dist/client.mjs` (plus `dist/client.d.mts` types).
 *
 * Node 20 cannot run `.ts`, so `lib/client.ts` and the few pure modules it
 * uses are bundled with `deno bundle` (types stripped, nothing else
 * changed). The bundle has no static `node:` import: the file-system shim
 * loads `node:fs/promises` with a dynamic `import()` only where `Deno` is
 * absent. `deno bundle` uses esbuild from the npm registry, fetched once
 * into Deno's cache.
 *
 * @example
 * ```sh
 * deno task build:client                 # dist/client.mjs
 * deno task build:client /tmp/client.mjs # elsewhere
 * node -e 'import("./dist/client.mjs").then(async (c) => console.log(await c.getApiUrl()))'
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { denoBundle } from "./_bundle.ts";

const ENTRY = fileURLToPath(new URL("../lib/client.ts", import.meta.url));
const DEFAULT_OUT = fileURLToPath(
  new URL("../dist/client.mjs", import.meta.url),
);

/**
 * Bundles the client to `out`.
 *
 * @returns The path written.
 * @throws {Error} With `deno bundle`'s own message when it fails.
 */
export async function buildClient(out: string = DEFAULT_OUT): Promise<string> {
  await denoBundle(ENTRY, out, ["--platform", "browser", "--declaration"]);
  return out;
}

if (import.meta.main) {
  try {
    const out = await buildClient(Deno.args[0]);
    console.error(`Built ${out}`);
  } catch (err) {
    console.error(`build:client: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
