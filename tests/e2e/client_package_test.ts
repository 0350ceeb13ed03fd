/**
 * The client as an npm package, the way a Node.js user gets it: `deno task
 * build:package` output packed with `npm pack`, installed with `npm install`
 * of the tarball into a fresh project (offline: it has no dependencies),
 * imported by name on the machine's node against a live runtime. Also: the
 * bundling is serialised, so builds that share an empty Deno cache do not
 * race each other.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  buildPackage,
  EXAMPLES,
  PACKAGE_NAME,
  PACKAGE_README,
  packageJson,
  packPackage,
} from "../../scripts/build_package.ts";
import { VERSION } from "../../lib/shared/config.ts";
import { startServer, waitUntil, withHome } from "../_harness/cli.ts";
import { nodeMajor, wsPackage } from "../_harness/node.ts";
import { killIfRunning } from "../_harness/process.ts";
import { findCommand, spawnLine } from "../../lib/cli/command_path.ts";
import { denoBundle, denoDir } from "../../scripts/_bundle.ts";

const CLIENT_ENTRY = "lib/client.ts";

const env = (name: string) => Deno.env.get(name);

/** Runs `npm ARGS` (or `node ARGS`) in `cwd`; returns stdout, fails on error. */
async function tool(
  name: "npm" | "node",
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const path = findCommand(name, env);
  assert(path !== undefined, `${name} is on PATH`);
  const line = spawnLine(name, args, path, Deno.build.os, env("ComSpec"));
  const out = await new Deno.Command(line.cmd, {
    args: line.args,
    windowsRawArguments: line.windowsRawArguments,
    cwd,
    env: { npm_config_update_notifier: "false", ...extraEnv },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assert(
    out.success,
    `${name} ${args.join(" ")}: ${dec.decode(out.stderr)}${
      dec.decode(out.stdout)
    }`,
  );
  return dec.decode(out.stdout);
}

const APP = `
import { discover, getApiUrl, getRuntimeUrl } from "${PACKAGE_NAME}";
import pkg from "${PACKAGE_NAME}/package.json" with { type: "json" };
const rt = await discover();
console.log(JSON.stringify({
  api: await getApiUrl(),
  ws: await getRuntimeUrl(),
  pid: rt?.pid,
  version: pkg.version,
}));
`;

/** The package built, packed and installed into a fresh app, once per file. */
interface InstalledApp {
  /** The temp directory of it all. */
  work: string;
  /** The package directory `buildPackage` wrote. */
  dir: string;
  /** The `npm pack` tarball. */
  tarball: string;
  /** The app that installed the tarball. */
  app: string;
}

let installing: Promise<InstalledApp> | undefined;

/** Builds, packs and installs the package into an app (the first test that asks does it). */
function installedApp(): Promise<InstalledApp> {
  installing ??= (async () => {
    const work = await Deno.makeTempDir({ prefix: "pryx-package-" });
    const dir = await buildPackage(`${work}/package`);
    const tarball = await packPackage(dir, work);
    const app = `${work}/app`;
    Deno.mkdirSync(app);
    Deno.writeTextFileSync(
      `${app}/package.json`,
      JSON.stringify({ name: "app", private: true, type: "module" }),
    );
    await tool("npm", [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      tarball,
    ], app);
    return { work, dir, tarball, app };
  })();
  return installing;
}

Deno.test.afterAll(async () => {
  const done = await installing?.catch(() => undefined);
  if (done !== undefined) await Deno.remove(done.work, { recursive: true });
});

Deno.test("the client package packs with npm, installs offline into a fresh project and finds a live runtime on node", () =>
  withHome(async (home) => {
    const { dir, tarball, app } = await installedApp();
    const manifest = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`));
    assert.deepStrictEqual(manifest.name, PACKAGE_NAME);
    assert.deepStrictEqual(manifest.version, VERSION);
    assert.deepStrictEqual(manifest.type, "module");
    assert.deepStrictEqual(manifest.license, "MIT");
    assert.deepStrictEqual(manifest.exports["."], {
      types: "./client.d.mts",
      default: "./client.mjs",
    });
    assert(tarball.endsWith(`${PACKAGE_NAME}-${VERSION}.tgz`), tarball);
    const installed = `${app}/node_modules/${PACKAGE_NAME}`;
    for (
      const file of [
        "client.mjs",
        "client.d.mts",
        "package.json",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
      ]
    ) {
      assert(Deno.statSync(`${installed}/${file}`).isFile, file);
    }
    assert.strictEqual(
      Deno.readTextFileSync(`${installed}/LICENSE`),
      Deno.readTextFileSync(new URL("../../LICENSE", import.meta.url)),
    );
    assert.match(
      Deno.readTextFileSync(`${installed}/LICENSE`),
      /^MIT License\n/,
    );
    assert.match(
      Deno.readTextFileSync(`${installed}/client.d.mts`),
      /export declare function getApiUrl/,
    );
    Deno.writeTextFileSync(`${app}/main.mjs`, APP);

    await using server = await startServer(home);
    const out = JSON.parse(
      await tool("node", ["main.mjs"], app, { PRYX_HOME: home }),
    );
    assert.deepStrictEqual(out, {
      api: `http://127.0.0.1:${server.port}`,
      ws: `ws://127.0.0.1:${server.port}/ws`,
      pid: server.child.pid,
      version: VERSION,
    });
  }));

Deno.test("the package README shows connect() with ws on Node 20 and without on Node 22, links to no placeholder, and holds exactly the examples the tests run", async () => {
  const { app } = await installedApp();
  const readme = Deno.readTextFileSync(
    `${app}/node_modules/${PACKAGE_NAME}/README.md`,
  );
  assert.strictEqual(readme, PACKAGE_README);
  // A repository only where Actions names it (npm's provenance checks it).
  assert.strictEqual(packageJson(VERSION).repository, undefined);
  assert.deepStrictEqual(packageJson(VERSION, "acme/pryx-core").repository, {
    type: "git",
    url: "git+https://github.com/acme/pryx-core.git",
  });
  const blocks = [...readme.matchAll(/```js\n([^]*?)```/g)].map((m) => m[1]);
  assert.deepStrictEqual(blocks, [
    EXAMPLES.discover,
    EXAMPLES.node22,
    EXAMPLES.node20,
  ]);
  assert.doesNotMatch(
    readme,
    /https?:\/\/github\.com\/(?:\)|\s|$)/,
    "no placeholder link",
  );
  assert.doesNotMatch(readme, /\]\(/, "no link at all: nothing to rot");
  assert.doesNotMatch(readme, /new WebSocket\(/);
  assert.match(EXAMPLES.node20, /^import WebSocket from "ws";/);
  assert.match(EXAMPLES.node20, /connect\(\{ WebSocket, topics/);
  assert.doesNotMatch(EXAMPLES.node22, /\bws\b|WebSocket/);
  // Node 22's example is Node 20's without ws: the same program otherwise.
  assert.strictEqual(
    EXAMPLES.node20.replace(/^import WebSocket from "ws";.*\n/, "").replace(
      "{ WebSocket, topics",
      "{ topics",
    ),
    EXAMPLES.node22,
  );
});

const NODE = await nodeMajor();

/** A node program of the app, its stdout read line by line. */
function spawnExample(
  app: string,
  file: string,
  home: string,
  nodeArgs: string[] = [],
) {
  const child = new Deno.Command("node", {
    args: [...nodeArgs, file],
    cwd: app,
    env: { PRYX_HOME: home, npm_config_update_notifier: "false" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let stderr = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    let buf = "";
    for await (const chunk of child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    }
  })();
  const errors = (async () => {
    for await (const chunk of child.stderr) stderr += dec.decode(chunk);
  })();
  return {
    child,
    lines,
    stderr: () => stderr,
    async line(want: string): Promise<void> {
      assert(
        await waitUntil(() => lines.includes(want), 10_000),
        `"${want}" in ${JSON.stringify(lines)}; stderr: ${stderr}`,
      );
    },
    async exited() {
      const status = await child.status;
      await reading;
      await errors;
      return status;
    },
    async [Symbol.asyncDispose]() {
      killIfRunning(child, "SIGKILL");
      await child.status;
      await reading.catch(() => {});
      await errors.catch(() => {});
    },
  };
}

/** Publishes `data` on `topic` over HTTP until a subscriber got it. */
async function publishUntilDelivered(
  port: number,
  topic: string,
  data: unknown,
) {
  assert(
    await waitUntil(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/publish/${topic}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(data),
      });
      return (await res.json()).delivered > 0;
    }, 10_000),
    `an event on ${topic} was delivered`,
  );
}

/** Runs a connect() example: open, an event printed, Ctrl-C closes it and node exits 0. */
async function runConnectExample(
  app: string,
  home: string,
  file: string,
  nodeArgs: string[] = [],
): Promise<void> {
  await using server = await startServer(home);
  await using node = spawnExample(app, file, home, nodeArgs);
  await node.line("state: open");
  await publishUntilDelivered(server.port, "greetings", { hello: "world" });
  await node.line('greetings {"hello":"world"}');
  node.child.kill("SIGINT");
  const status = await node.exited();
  assert.strictEqual(status.code, 0, node.stderr());
  assert.deepStrictEqual(
    node.lines.filter((l) => l.startsWith("state:")),
    ["state: open", "state: closed"],
  );
}

/** The app with `ws` installed beside the package (from the tests' cache). */
async function withWs(app: string): Promise<void> {
  const ws = await wsPackage();
  assert(ws.path !== undefined, `the ws package: ${ws.why}`);
  const target = ws.path.replace(/\/wrapper\.mjs$/, "");
  try {
    await Deno.symlink(target, `${app}/node_modules/ws`);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
}

Deno.test({
  name:
    "the README's discover example runs on node and prints the runtime's health and WebSocket URL",
  ignore: NODE === undefined,
  fn: () =>
    withHome(async (home) => {
      const { app } = await installedApp();
      Deno.writeTextFileSync(`${app}/discover.mjs`, EXAMPLES.discover);
      await using server = await startServer(home);
      const out = await tool("node", ["discover.mjs"], app, {
        PRYX_HOME: home,
      });
      assert.strictEqual(
        out,
        `ok ${VERSION} ws://127.0.0.1:${server.port}/ws\n`,
      );
    }),
});

Deno.test({
  name:
    "the README's Node 20 connect() example with ws opens, prints an event, and Ctrl-C closes it",
  ignore: NODE === undefined,
  fn: () =>
    withHome(async (home) => {
      const { app } = await installedApp();
      await withWs(app);
      Deno.writeTextFileSync(`${app}/node20.mjs`, EXAMPLES.node20);
      await runConnectExample(app, home, "node20.mjs");
    }),
});

Deno.test({
  name:
    "the README's Node 22 connect() example runs with the global WebSocket (put in place first on Node 20)",
  ignore: NODE === undefined,
  fn: () =>
    withHome(async (home) => {
      const { app } = await installedApp();
      Deno.writeTextFileSync(`${app}/node22.mjs`, EXAMPLES.node22);
      let preload: string[] = [];
      if (NODE! < 22) {
        // What Node 22 has built in: a global WebSocket (here ws's).
        await withWs(app);
        Deno.writeTextFileSync(
          `${app}/global-websocket.mjs`,
          'import WebSocket from "ws";\nglobalThis.WebSocket = WebSocket;\n',
        );
        preload = ["--import", "./global-websocket.mjs"];
      }
      await runConnectExample(app, home, "node22.mjs", preload);
    }),
});

Deno.test("client builds that share an empty Deno cache do not race: six at once all succeed", async () => {
  const shared = await denoDir();
  const empty = await Deno.makeTempDir({ prefix: "pryx-deno-dir-" });
  try {
    // The npm packages (esbuild among them) come from the shared cache, so
    // nothing is downloaded; what the builds meet on is the first copy of
    // the esbuild binary into the empty cache's dl/ directory, which fails
    // for some of six concurrent `deno bundle` runs without the lock. The
    // empty cache is the bundles' alone: this process's environment (and
    // so the other test files running beside this one) keeps its own.
    await Deno.symlink(`${shared}/npm`, `${empty}/npm`);
    const outs = Array.from({ length: 6 }, (_, i) => `${empty}/out${i}.mjs`);
    // Without --declaration (its type check of a cold cache takes seconds
    // per bundle); the esbuild step they share is the same.
    await Promise.all(
      outs.map((out) =>
        denoBundle(CLIENT_ENTRY, out, ["--platform", "browser"], {
          denoDir: empty,
        })
      ),
    );
    for (const out of outs) assert(Deno.statSync(out).size > 0, out);
    assert(
      [...Deno.readDirSync(`${empty}/dl`)].some((e) =>
        e.name.startsWith("esbuild")
      ),
      "esbuild was installed into the empty cache",
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
