/**
 * The layout's one hard rule, checked on the real module graphs: the
 * discovery side (`lib/discovery/`, the client entry, and the `discover`,
 * `list` and `stop` subcommands) never loads the server side, a `node:`
 * built-in or an `npm:` package. Its start-up time is a feature: one static
 * `node:` import wakes Deno's Node-compatibility layer (10-15 ms on a 33 ms
 * process) and one small `npm:` package about 30 ms. And each start-up
 * path (`--version`, `discover`, `list`, `stop`, `prune`, `serve` before and
 * after its port file) loads no more modules and bytes than its budget.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  loadedBeforeRun,
  loadedByRun,
  type LoadedModule,
  weigh,
} from "./_harness/loaded_modules.ts";

const LIB = new URL("../lib/", import.meta.url);

/** Every module in the graph of `entry` (static and literal dynamic imports). */
async function moduleGraph(entry: URL): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    // The URL, not a path: Deno 2.9 turns a path with "%" into a URL that
    // keeps the "%" unescaped, which no module URL of the graph matches.
    args: ["info", "--json", entry.href],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return graph.modules.map((m) => m.specifier);
}

/** The modules of `graph` that the discovery side must not load. */
function forbidden(graph: string[]): string[] {
  const server = new URL("server/", LIB).href;
  return graph.filter((m) =>
    m.startsWith("npm:") || m.startsWith("node:") || m.startsWith(server) ||
    m.includes("hono")
  );
}

const DISCOVERY_ENTRIES = [
  "cli/discover.ts",
  "cli/list.ts",
  "cli/stop.ts",
  "cli/prune.ts",
  "client.ts",
  ...Array.from(Deno.readDirSync(new URL("discovery/", LIB)))
    .filter((e) => e.name.endsWith(".ts"))
    .map((e) => `discovery/${e.name}`),
];

for (const entry of DISCOVERY_ENTRIES) {
  Deno.test(`lib/${entry} loads no server module, node: built-in or npm: package`, async () => {
    const graph = await moduleGraph(new URL(entry, LIB));
    // A module without imports has a graph of itself alone.
    assert(graph.includes(new URL(entry, LIB).href), "the graph was read");
    assert.deepStrictEqual(forbidden(graph), []);
  });
}

Deno.test("the forbidden-module check sees the server side when it is there", async () => {
  // Guards the test above against a check that cannot fail.
  const graph = await moduleGraph(new URL("cli/serve.ts", LIB));
  assert(forbidden(graph).some((m) => m.endsWith("/server/lifecycle.ts")));
});

Deno.test("no module under lib/shared/ imports another side", async () => {
  for (const e of Deno.readDirSync(new URL("shared/", LIB))) {
    if (!e.name.endsWith(".ts")) continue;
    const graph = await moduleGraph(new URL(`shared/${e.name}`, LIB));
    const sides = graph.filter((m) =>
      m.startsWith(LIB.href) && !m.startsWith(new URL("shared/", LIB).href)
    );
    assert.deepStrictEqual(sides, [], `lib/shared/${e.name}`);
  }
});

/** Every `.ts` file under `dir`, recursively. */
function sourcesUnder(dir: URL): URL[] {
  return Array.from(Deno.readDirSync(dir)).flatMap((e) =>
    e.isDirectory
      ? sourcesUnder(new URL(`${e.name}/`, dir))
      : e.name.endsWith(".ts")
      ? [new URL(e.name, dir)]
      : []
  );
}

/**
 * Literal dynamic imports (`import("./x.ts")`) in `source`; types and
 * comment lines aside.
 */
function literalImports(source: string): string[] {
  return source.split("\n")
    .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
    .flatMap((line) =>
      [
        ...line.matchAll(/(?<!typeof\s)\bimport\(\s*["'`][^"'`]*["'`]/g),
      ].map((m) => m[0])
    );
}

Deno.test("lib/ loads modules on demand only through importLazily, never a literal import()", () => {
  // deno run reads every module a literal import() names before the first
  // line runs, so one such call puts its whole subtree on every start.
  const found = sourcesUnder(LIB).flatMap((url) =>
    literalImports(Deno.readTextFileSync(url)).map((call) =>
      `${url.href.slice(LIB.href.length)}: ${call}`
    )
  );
  assert.deepStrictEqual(found, []);
});

Deno.test("the literal-import check finds one, and leaves types alone", () => {
  assert.deepStrictEqual(
    literalImports(
      [
        'const m = await import("./serve.ts");',
        'type T = typeof import("./x.ts");',
        ' * A literal `import("./doc.ts")` in a comment.',
      ].join("\n"),
    ),
    ['import("./serve.ts"'],
  );
});

/**
 * The local modules `file` names: static imports, re-exports and the
 * `typeof import("...")` of {@linkcode importLazily}, resolved to URLs.
 */
function localEdges(file: URL): URL[] {
  const source = Deno.readTextFileSync(file).split("\n")
    .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join("\n");
  const specifiers = [
    ...source.matchAll(/\bfrom\s+"(\.[^"]+)"/g),
    ...source.matchAll(/\bimport\(\s*"(\.[^"]+)"\s*\)/g),
  ].map((m) => m[1]);
  return specifiers.map((s) => new URL(s, file));
}

/** The import cycles among `files` (each once, as its path of hrefs). */
function importCycles(files: URL[]): string[][] {
  const edges = new Map(files.map((f) => [f.href, localEdges(f)]));
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) return void cycles.push([...path.slice(at), node]);
    if (done.has(node)) return;
    for (const next of edges.get(node) ?? []) visit(next.href, [...path, node]);
    done.add(node);
  };
  for (const f of files) visit(f.href, []);
  return cycles;
}

Deno.test("lib/ has no import cycle, lazy imports included", () => {
  const files = [...sourcesUnder(LIB), new URL("../main.ts", LIB)];
  const short = (href: string) => href.slice(LIB.href.length);
  assert.deepStrictEqual(importCycles(files).map((c) => c.map(short)), []);
});

Deno.test("the cycle check finds a cycle", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/a.ts`, 'import { b } from "./b.ts";\n');
    Deno.writeTextFileSync(
      `${dir}/b.ts`,
      'export type A = typeof import("./a.ts");\n',
    );
    const files = [`${dir}/a.ts`, `${dir}/b.ts`].map((p) =>
      new URL(`file://${p}`)
    );
    assert.equal(importCycles(files).length, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the server and the discovery side never import each other", () => {
  for (
    const [side, other] of [["server", "discovery"], ["discovery", "server"]]
  ) {
    const otherHref = new URL(`${other}/`, LIB).href;
    for (const file of sourcesUnder(new URL(`${side}/`, LIB))) {
      const wrong = localEdges(file).filter((u) =>
        u.href.startsWith(otherHref)
      );
      assert.deepStrictEqual(wrong.map(String), [], file.href);
    }
  }
});

/**
 * The source paths `text` names: `lib/…`, `tests/…`, `scripts/…`,
 * `bench/…` from the root, and `shared/…`, `server/…`, `discovery/…`,
 * `cli/…` from `lib/`.
 */
function namedPaths(text: string): string[] {
  const rooted = text.match(/\b(?:lib|tests|scripts|bench)\/[\w/.-]*\.ts\b/g) ??
    [];
  const sided =
    (text.match(/(?<![\w/])(?:shared|server|discovery|cli)\/\w+\.ts\b/g) ??
      []).map((p) => `lib/${p}`);
  return [...rooted, ...sided];
}

Deno.test("the README and every module header name source paths that exist", () => {
  const root = new URL("../", import.meta.url);
  const texts: [string, string][] = [[
    "README.md",
    Deno.readTextFileSync(new URL("README.md", root)),
  ]];
  for (const dir of ["lib", "tests", "scripts", "bench"]) {
    const walk = (rel: string) => {
      for (const e of Deno.readDirSync(new URL(`${rel}/`, root))) {
        const path = `${rel}/${e.name}`;
        if (e.isDirectory) walk(path);
        else if (path.endsWith(".ts")) {
          texts.push([path, Deno.readTextFileSync(new URL(path, root))]);
        }
      }
    };
    walk(dir);
  }
  const missing = texts.flatMap(([file, text]) =>
    namedPaths(text).filter((p) => {
      try {
        Deno.statSync(new URL(p, root));
        return false;
      } catch {
        return true;
      }
    }).map((p) => `${file}: ${p}`)
  );
  // The bundler's doc comment describes its markers with a made-up name.
  assert.deepStrictEqual(missing.filter((m) => !m.endsWith("lib/x.ts")), []);
});

Deno.test("the named-path check sees a path that does not exist", () => {
  // Spelled in pieces, so this file names no missing path itself.
  const gone = ["discovery", "inspect.ts"].join("/");
  assert.deepStrictEqual(namedPaths(`see \`${gone}\` and lib/cli/run.ts`), [
    "lib/cli/run.ts",
    `lib/${gone}`,
  ]);
});

/**
 * The budget of each start-up path: modules loaded and bytes of their
 * source, measured at run time (`tests/_harness/loaded_modules.ts`). A path
 * that loads one more module fails here, in review, before it shows in a
 * timing. Lower a budget when a path gets lighter; raise one only with a
 * reason in the commit. Bytes have about 5% of room, so that editing a
 * module does not trip them; modules have none.
 */
const STARTUP_BUDGETS: Record<string, { modules: number; bytes: number }> = {
  "--version": { modules: 9, bytes: 38_700 },
  // shared/http1.ts is on these paths: one HTTP/1.1 exchange on
  // Deno.connect instead of a first fetch saves 5-10 ms (SPEC 6a).
  discover: { modules: 33, bytes: 198_000 },
  list: { modules: 30, bytes: 168_000 },
  stop: { modules: 31, bytes: 188_500 },
  prune: { modules: 31, bytes: 177_000 },
  // The Unix socket is bound before the json that names it (SPEC 2): its
  // listener and place are on this path; the port's holder is looked up
  // only after a failed bind, from a module loaded then.
  "serve, until the port file exists": { modules: 46, bytes: 269_500 },
  "serve, after the port file exists": { modules: 34, bytes: 140_000 },
};

/** `weigh(modules)` against `budget`, with the modules listed on failure. */
function assertWithin(
  path: string,
  modules: LoadedModule[],
  budget: { modules: number; bytes: number },
): void {
  const got = weigh(modules);
  const list = modules.map((m) => `  ${m.bytes}\t${m.url}`).join("\n");
  assert(
    got.modules <= budget.modules && got.bytes <= budget.bytes,
    `${path} loads ${got.modules} modules of ${got.bytes} bytes, over its budget of ${budget.modules} and ${budget.bytes}:\n${list}`,
  );
}

for (
  const args of [["--version"], ["discover"], ["list"], ["stop"], ["prune"]]
) {
  const path = args.join(" ");
  Deno.test(`the ${path} path loads no more modules than its budget`, async () => {
    const home = await Deno.makeTempDir({ prefix: "pryx-test-" });
    try {
      const loaded = await loadedByRun(args, { home });
      assert(
        loaded.some((m) => m.url.endsWith("/lib/cli/main.ts")),
        "the run was measured",
      );
      assertWithin(path, loaded, STARTUP_BUDGETS[path]);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  });
}

Deno.test("serve publishes its port before it loads the app, each part within its budget", async () => {
  const home = await Deno.makeTempDir({ prefix: "pryx-test-" });
  try {
    const loaded = await loadedByRun(["serve", "--listen", "127.0.0.1:0"], {
      home,
      until: async () => {
        for (let i = 0; i < 300; i++) {
          const port = await Deno.readTextFile(`${home}/runtime.port`)
            .catch(() => "");
          if (port.trim() !== "") {
            const res = await fetch(`http://127.0.0.1:${port.trim()}/health`)
              .catch(() => undefined);
            await res?.body?.cancel();
            if (res?.ok) return;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error("serve did not answer /health within 15 s");
      },
    });
    // What deno run loads for main.ts and the serve command before their
    // first line runs; serve publishes before its first lazy import.
    const before = await loadedBeforeRun([
      new URL("../main.ts", import.meta.url),
      new URL("cli/serve.ts", LIB),
    ]);
    const beforeUrls = new Set(before.map((m) => m.url));
    // The run loaded exactly those first, then the rest.
    assert.deepStrictEqual(
      new Set(loaded.slice(0, before.length).map((m) => m.url)),
      beforeUrls,
    );
    assert(beforeUrls.has(new URL("server/lifecycle.ts", LIB).href));
    assert(!beforeUrls.has(new URL("server/app.ts", LIB).href));
    assert(loaded.some((m) => m.url.endsWith("/lib/server/app.ts")));
    assertWithin(
      "serve, until the port file exists",
      loaded.slice(0, before.length),
      STARTUP_BUDGETS["serve, until the port file exists"],
    );
    assertWithin(
      "serve, after the port file exists",
      loaded.slice(before.length),
      STARTUP_BUDGETS["serve, after the port file exists"],
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
