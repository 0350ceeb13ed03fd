/**
 * Runs the client module in a process of its own, as an application would:
 * on Deno (`tests/_fixtures/client_discover.ts`) and on Node.js (the bundle
 * of `deno task build:client`, built once for all the tests that run it),
 * with exactly the environment given.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { buildClient } from "../../scripts/build_client.ts";
import { runProgram } from "./cli.ts";
import { tempRoot } from "./fs.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

const FIXTURE = fileURLToPath(
  new URL("../_fixtures/client_discover.ts", import.meta.url),
);

/**
 * What the Node bundle is made from, relative to the repository root: all
 * of `lib/` (the client and the shared modules it bundles), the build
 * scripts and the Deno configuration and lockfile (esbuild's version).
 */
const BUNDLE_INPUTS = [
  "lib",
  "scripts/build_client.ts",
  "scripts/_bundle.ts",
  "deno.json",
  "deno.lock",
];

/** Prefix of the directories {@linkcode clientBundle} keeps its bundle in. */
const BUNDLE_DIR_PREFIX = "pryx-test-client-";

/** How long a bundle directory stays unused before a new build removes it, in ms. */
const BUNDLE_UNUSED_MS = 60 * 60 * 1000;

/** Every file below `path` (or `path` itself), sorted, relative to the root. */
function inputFiles(path: string): string[] {
  const full = `${ROOT}/${path}`;
  if (!Deno.statSync(full).isDirectory) return [path];
  return [...Deno.readDirSync(full)]
    .map((e) => `${path}/${e.name}`)
    .sort()
    .flatMap(inputFiles);
}

/** SHA-256 (hex) over the bundle's inputs and the Deno version. */
async function bundleInputsHash(): Promise<string> {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`deno ${Deno.version.deno}\0`)];
  for (const file of BUNDLE_INPUTS.flatMap(inputFiles)) {
    parts.push(enc.encode(`${file}\0`), Deno.readFileSync(`${ROOT}/${file}`));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The client bundled for Node and Bun by `buildClient()` (what `deno task
 * build:client` writes), for the tests that run it on Node: built once and
 * shared instead of once per test (a bundle takes seconds of CPU, and
 * bundles queue on one lock per Deno cache).
 *
 * It lives in `<tmp>/pryx-test-client-<hash>/client.mjs`, `<hash>` being
 * SHA-256 over every file the bundle is made from ({@linkcode BUNDLE_INPUTS})
 * and the Deno version: any change to them builds a new one, and removes
 * the directories of those unused for an hour (another checkout's test run
 * may be using one). A file lock (`FsFile.lock`) makes test files that ask
 * at once wait for one build. The tests of the build itself (`build:client`
 * from an odd path, `build:package`, concurrent builds) still build their
 * own.
 *
 * @returns The path of `client.mjs` (`client.d.mts` beside it).
 * @throws {Error} With `deno bundle`'s message when the build fails.
 */
export async function clientBundle(): Promise<string> {
  const tmp = tempRoot();
  const name = `${BUNDLE_DIR_PREFIX}${(await bundleInputsHash()).slice(0, 16)}`;
  const bundle = `${tmp}/${name}/client.mjs`;
  using lock = await Deno.open(`${tmp}/${BUNDLE_DIR_PREFIX}lock`, {
    read: true,
    write: true,
    create: true,
  });
  await lock.lock(true);
  const now = new Date();
  try {
    // The directory's mtime says when a test run last used it.
    Deno.utimeSync(`${tmp}/${name}`, now, now);
    return bundle;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const stagingName = `${name}.${crypto.randomUUID()}`;
  const staging = `${tmp}/${stagingName}`;
  await Deno.mkdir(staging);
  try {
    await buildClient(`${staging}/client.mjs`);
    await Deno.rename(staging, `${tmp}/${name}`);
  } catch (err) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw err;
  }
  // Bundles of other sources (older commits, other checkouts) may be in
  // use by a test run of their own: only those unused for a while go.
  for (const e of Deno.readDirSync(tmp)) {
    if (!e.isDirectory || !e.name.startsWith(BUNDLE_DIR_PREFIX)) continue;
    const used = Deno.statSync(`${tmp}/${e.name}`).mtime?.getTime() ?? 0;
    if (now.getTime() - used <= BUNDLE_UNUSED_MS) continue;
    try {
      await Deno.remove(`${tmp}/${e.name}`, { recursive: true });
    } catch (err) {
      // Another test run removed it first.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return bundle;
}

/** What the client found: the runtime, or the error it threw. */
export interface ClientRun {
  /** `discover()`'s answer, `null` when nothing live. */
  runtime: Record<string, unknown> | null;
  /** `Name: message` of what it threw, or `null`. */
  error: string | null;
}

/**
 * Runs `discover(options)` of `lib/client.ts` in a Deno child with
 * `childEnv(env)` (so proxy variables reach it only when given here).
 */
export async function denoClientDiscover(
  env: Record<string, string>,
  options: Record<string, unknown> = {},
  permissions: string[] = ["--allow-net", "--allow-read", "--allow-env"],
): Promise<ClientRun> {
  const out = await runProgram(Deno.execPath(), [
    "run",
    ...permissions,
    FIXTURE,
    JSON.stringify(options),
  ], { env });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

/** The Node program of {@linkcode nodeClientDiscover}. */
const NODE_DISCOVER = `
const client = await import(process.argv[1]);
const out = { runtime: null, error: null };
try {
  out.runtime = (await client.discover(JSON.parse(process.argv[2]))) ?? null;
} catch (err) {
  out.error = err.name + ": " + err.message;
}
console.log(JSON.stringify(out));
`;

/**
 * Runs `discover(options)` of the Node bundle `bundle` on the machine's
 * `node`, with `PATH` plus exactly `env`.
 */
export async function nodeClientDiscover(
  bundle: string,
  env: Record<string, string>,
  options: Record<string, unknown> = {},
): Promise<ClientRun> {
  const out = await runProgram("node", [
    "--input-type=module",
    "-e",
    NODE_DISCOVER,
    bundle,
    JSON.stringify(options),
  ], { env, inherit: false });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}
