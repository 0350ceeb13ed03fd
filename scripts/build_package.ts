/**
 * `deno task build:package [DIR]`: builds the client as an npm package
 * (default `dist/package/`) and packs it with `npm pack` into a tarball
 * beside that directory, for Node.js and Bun users to `npm install`.
 *
 * The package holds `client.mjs` (the `deno task build:client` bundle: one
 * ES module, no dependencies, no static `node:` import), its types
 * `client.d.mts`, a `package.json` (name {@linkcode PACKAGE_NAME}, the
 * version of this build, `type: module`, `exports` with `types` first as
 * TypeScript's `node16`/`bundler` resolution wants) and a README.
 *
 * @example
 * ```sh
 * deno task build:package            # dist/package/ and dist/pryx-core-client-0.1.0.tgz
 * cd my-app && npm install ../pryx-core/dist/pryx-core-client-0.1.0.tgz
 * ```
 *
 * @module
 */

import { VERSION } from "../lib/shared/config.ts";
import { fileUrlToPath } from "../lib/shared/file_url.ts";
import { runNpm } from "./_npm.ts";
import { buildClient } from "./build_client.ts";

/** The npm name of the client package. */
export const PACKAGE_NAME = "pryx-core-client";

/** The oldest Node.js the bundle runs on (`fetch`, `AbortSignal.timeout`). */
export const NODE_ENGINES = ">=20";

const DEFAULT_DIR = fileUrlToPath(
  new URL("../dist/package", import.meta.url),
);

/** The `package.json` of the client package, for `version`. */
export function packageJson(version: string): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    version,
    description:
      "Find a running pryx-core runtime from Node.js or Bun: its HTTP and WebSocket URLs, with the same precedence and checks as `pryx-core discover`",
    type: "module",
    main: "./client.mjs",
    types: "./client.d.mts",
    exports: {
      ".": { types: "./client.d.mts", default: "./client.mjs" },
      "./package.json": "./package.json",
    },
    files: ["client.mjs", "client.d.mts", "README.md"],
    sideEffects: false,
    engines: { node: NODE_ENGINES },
    keywords: ["pryx-core", "discovery", "websocket", "runtime"],
  };
}

const PACKAGE_README = `# ${PACKAGE_NAME}

Finds a running [pryx-core](https://github.com/) runtime from Node.js (20+) or
Bun, with the same precedence and checks as \`pryx-core discover\`:
\`PRYX_API_URL\`/\`PRYX_WS_URL\`, the instance files in \`$PRYX_HOME\` (default
\`~/.pryx\`), then probe ports; every candidate checked with \`/health\`.

\`\`\`js
import { getApiUrl, getRuntimeUrl, waitForRuntime } from "${PACKAGE_NAME}";

const api = await getApiUrl();          // http://127.0.0.1:PORT
const ws = new WebSocket(await getRuntimeUrl());
\`\`\`

No dependencies; types included.
`;

/**
 * Writes the package directory `dir` (emptied first).
 *
 * @returns `dir`.
 * @throws {Error} With `deno bundle`'s message when bundling fails.
 */
export async function buildPackage(dir: string = DEFAULT_DIR): Promise<string> {
  await Deno.remove(dir, { recursive: true }).catch((err) => {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  });
  await Deno.mkdir(dir, { recursive: true });
  await buildClient(`${dir}/client.mjs`);
  await Deno.stat(`${dir}/client.d.mts`);
  await Deno.writeTextFile(
    `${dir}/package.json`,
    JSON.stringify(packageJson(VERSION), null, 2) + "\n",
  );
  await Deno.writeTextFile(`${dir}/README.md`, PACKAGE_README);
  return dir;
}

/**
 * Packs `dir` with `npm pack` into `destination`.
 *
 * @returns The path of the tarball.
 * @throws {Error} When npm is missing or `npm pack` fails.
 */
export async function packPackage(
  dir: string,
  destination: string,
): Promise<string> {
  const out = await runNpm(
    "npm",
    ["pack", "--json", "--pack-destination", destination, dir],
    { npm_config_fund: "false" },
  );
  if (!out.ok) throw new Error(`npm pack failed: ${out.stderr.trim()}`);
  const [{ filename }] = JSON.parse(out.stdout) as {
    filename: string;
  }[];
  return `${destination}/${filename.replace(/^.*[\\/]/, "")}`;
}

/** `path`, from the user's directory when relative (`deno task` runs in the root). */
function absolute(path: string): string {
  return /^([\\/]|[A-Za-z]:[\\/])/.test(path)
    ? path
    : `${Deno.env.get("INIT_CWD") ?? Deno.cwd()}/${path}`;
}

if (import.meta.main) {
  try {
    const dir = await buildPackage(
      Deno.args[0] === undefined ? undefined : absolute(Deno.args[0]),
    );
    const tarball = await packPackage(
      dir,
      dir.replace(/[\\/]+$/, "").replace(/[\\/][^\\/]+$/, "") || ".",
    );
    console.error(`Built ${dir} and ${tarball}`);
    console.error(`Install it with: npm install ${tarball}`);
  } catch (err) {
    console.error(`build:package: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
