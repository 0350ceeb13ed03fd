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
  PACKAGE_NAME,
  packPackage,
} from "../../scripts/build_package.ts";
import { VERSION } from "../../lib/shared/config.ts";
import { startServer, withHome } from "../_harness/cli.ts";
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

Deno.test("the client package packs with npm, installs offline into a fresh project and finds a live runtime on node", () =>
  withHome(async (home) => {
    const work = await Deno.makeTempDir({ prefix: "pryx-package-" });
    try {
      const dir = await buildPackage(`${work}/package`);
      const manifest = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`));
      assert.deepStrictEqual(manifest.name, PACKAGE_NAME);
      assert.deepStrictEqual(manifest.version, VERSION);
      assert.deepStrictEqual(manifest.type, "module");
      assert.deepStrictEqual(manifest.exports["."], {
        types: "./client.d.mts",
        default: "./client.mjs",
      });
      const tarball = await packPackage(dir, work);
      assert(tarball.endsWith(`${PACKAGE_NAME}-${VERSION}.tgz`), tarball);

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
      const installed = `${app}/node_modules/${PACKAGE_NAME}`;
      for (const file of ["client.mjs", "client.d.mts", "package.json"]) {
        assert(Deno.statSync(`${installed}/${file}`).isFile, file);
      }
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
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  }));

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
