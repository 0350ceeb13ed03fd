/**
 * `deno task build:package [DIR]`: builds the client as an npm package
 * (default `dist/package/`) and packs it with `npm pack` into a tarball
 * beside that directory, for Node.js and Bun users to `npm install`.
 *
 * The package holds `client.mjs` (the `deno task build:client` bundle: one
 * ES module, no dependencies, no static `node:` import), its types
 * `client.d.mts`, a `package.json` (name {@linkcode PACKAGE_NAME}, the
 * version of this build, `license: "MIT"`, `type: module`, `exports` with
 * `types` first as TypeScript's `node16`/`bundler` resolution wants; under
 * GitHub Actions also `repository`, which `npm publish --provenance`
 * checks against the workflow's repository), a README whose examples are
 * {@linkcode EXAMPLES} (each run by `tests/e2e/client_package_test.ts`),
 * and the repository's `LICENSE` and `CHANGELOG.md`.
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

/** The repository root: `LICENSE` and `CHANGELOG.md` are copied from it. */
const ROOT = fileUrlToPath(new URL("..", import.meta.url));

/**
 * The `package.json` of the client package, for `version`.
 *
 * @param repository `owner/name` on GitHub (`$GITHUB_REPOSITORY` in
 * Actions): written as `repository`, which npm's provenance check compares
 * with the repository of the publishing workflow. Absent elsewhere (no
 * placeholder URL).
 */
export function packageJson(
  version: string,
  repository?: string,
): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    version,
    license: "MIT",
    description:
      "Find a running pryx-core runtime from Node.js or Bun: its HTTP and WebSocket URLs, with the same precedence and checks as `pryx-core discover`",
    type: "module",
    main: "./client.mjs",
    types: "./client.d.mts",
    exports: {
      ".": { types: "./client.d.mts", default: "./client.mjs" },
      "./package.json": "./package.json",
    },
    files: [
      "client.mjs",
      "client.d.mts",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
    ],
    sideEffects: false,
    engines: { node: NODE_ENGINES },
    keywords: ["pryx-core", "discovery", "websocket", "runtime"],
    ...(repository === undefined ? {} : {
      repository: {
        type: "git",
        url: `git+https://github.com/${repository}.git`,
      },
    }),
  };
}

/**
 * The README's examples, as files of an app that installed the package:
 * each is run against a live runtime by `tests/e2e/client_package_test.ts`
 * (`node22` on Node 20 with a global `WebSocket` put in place first, as
 * Node 22 has one).
 */
export const EXAMPLES = {
  /** Where the runtime is, and its health. Exits. */
  discover: `import { getApiUrl, getRuntimeUrl } from "${PACKAGE_NAME}";

const api = await getApiUrl(); // http://127.0.0.1:PORT of the live runtime
const health = await (await fetch(\`\${api}/health\`)).json();
console.log(health.status, health.version, await getRuntimeUrl());
`,
  /** `connect()` on Node 20, which has no global WebSocket: `ws`'s. Runs until Ctrl-C. */
  node20: `import WebSocket from "ws"; // Node 20: npm install ws
import { connect } from "${PACKAGE_NAME}";

const runtime = connect({ WebSocket, topics: ["greetings"] });
runtime.addEventListener("statechange", (event) => {
  console.log("state:", event.state); // connecting, open, reconnecting, closed
});
runtime.addEventListener("message", (event) => {
  const frame = event.data;
  if (frame.type === "event") console.log(frame.topic, JSON.stringify(frame.data));
});
process.on("SIGINT", () => runtime.close());
`,
  /** The same on Node 22 and later (and Bun), which have a global WebSocket. */
  node22: `import { connect } from "${PACKAGE_NAME}";

const runtime = connect({ topics: ["greetings"] });
runtime.addEventListener("statechange", (event) => {
  console.log("state:", event.state); // connecting, open, reconnecting, closed
});
runtime.addEventListener("message", (event) => {
  const frame = event.data;
  if (frame.type === "event") console.log(frame.topic, JSON.stringify(frame.data));
});
process.on("SIGINT", () => runtime.close());
`,
} as const;

/** The package's README, made around {@linkcode EXAMPLES}. */
export const PACKAGE_README = `# ${PACKAGE_NAME}

The client of a pryx-core runtime for Node.js (20 and later) and Bun: finds
the live runtime with the same precedence and checks as \`pryx-core
discover\` (\`PRYX_API_URL\`/\`PRYX_WS_URL\`, the instance files in
\`$PRYX_HOME\`, default \`~/.pryx\`, then probe ports; every candidate
checked with \`/health\`), and keeps a WebSocket to its event bus that
survives restarts: \`connect()\` re-discovers the runtime (its port may
have changed), reconnects with backoff and subscribes its topics again.

\`\`\`sh
npm install ${PACKAGE_NAME}
\`\`\`

## Where the runtime is

\`\`\`js
${EXAMPLES.discover}\`\`\`

## connect() on Node 22 and later, and Bun

They have a global \`WebSocket\`:

\`\`\`js
${EXAMPLES.node22}\`\`\`

## connect() on Node 20

Node 20 has no global \`WebSocket\`: install the \`ws\` package
(\`npm install ws\`) and pass its class as the \`WebSocket\` option.

\`\`\`js
${EXAMPLES.node20}\`\`\`

Publish with \`runtime.publish(topic, data)\` (to every other subscriber)
once \`runtime.state\` is \`"open"\`, or over HTTP with \`POST
/publish/TOPIC\`. Options: \`topics\`, \`lease\` (hold a lease while
connected), \`instance\`, \`stateDir\`, \`backoff\`, \`heartbeatMs\`; the
types are included (\`client.d.mts\`).

No dependencies. MIT licensed (\`LICENSE\`); changes in \`CHANGELOG.md\`.
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
    JSON.stringify(
      packageJson(VERSION, Deno.env.get("GITHUB_REPOSITORY") || undefined),
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(`${dir}/README.md`, PACKAGE_README);
  for (const file of ["LICENSE", "CHANGELOG.md"]) {
    await Deno.copyFile(`${ROOT}${file}`, `${dir}/${file}`);
  }
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
