/**
 * `deno task build`: bundles the CLI into `dist/cli/`, the code that
 * `main.ts` runs. Every module that `lib/` loads with a literal dynamic
 * import gets a bundle of its own, and the importer loads that bundle:
 * `cli.js` (from `lib/cli.ts`), one file per subcommand (`cmd_serve.js`,
 * ...), and `app.js` and `ws_hub.js`, which `serve` loads once its port is
 * published.
 *
 * Why a bundle: start-up is what every client of pryx-core waits for, and
 * Deno spends about 0.1 ms on every module it loads, however small. The
 * sources stay small modules with one job each; a subcommand starts from two
 * files instead of up to twenty. What a subcommand does not load stays out
 * of its bundle, so `discover` still loads neither Hono nor server code.
 * Hono is bundled in: the CLI needs no npm resolution at run time.
 *
 * Bundles do not share modules, so a class is not the same object in two of
 * them (hence `isPryxError` rather than `instanceof` in the dispatcher).
 * esbuild names each inlined module by its path; the path of an npm package
 * is rewritten to `npm:name@version/...`, so the output does not depend on
 * where Deno's cache is.
 *
 * The bundle is committed, so `deno run main.ts` (and `deno compile`) need
 * no build step. `--check` rebuilds into a temp directory and fails when
 * `dist/cli/` differs; `deno task test` runs it, so a stale bundle cannot
 * land.
 *
 * @example
 * ```sh
 * deno task build          # after editing lib/
 * deno task build --check  # exit 1 when dist/cli/ is out of date
 * ```
 *
 * @module
 */

import { denoBundle } from "./_bundle.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** The CLI's source entry, `lib/<name>.ts`: the dispatcher, `cli.js`. */
const CLI_ENTRY = "cli";
/** Where the bundle goes, relative to the repository root. */
export const CLI_OUT_DIR = "dist/cli";
/** First line of every generated file. */
const BANNER =
  "// Generated from lib/ by `deno task build` (scripts/build_cli.ts): do not edit.\n";
/** A literal dynamic import of a sibling module: `import("./name.ts")`. */
const LAZY_IMPORT = /import\("\.\/(\w+)\.ts"\)/g;
/**
 * Where esbuild names an inlined npm module (its `// path` marker and its
 * lazy-init key): a path into Deno's cache, made `npm:name@version/...`.
 */
const NPM_PATH =
  /[^\s"'`]*\/registry\.npmjs\.org\/([^/\s"'`]+)\/([^/\s"'`]+)\//g;

/**
 * Bundles the CLI into `outDir` (default `dist/cli/` of the repository),
 * replacing whatever was there.
 *
 * @returns The names of the files written, sorted.
 * @throws {Error} With `deno bundle`'s own message when it fails.
 */
export async function buildCli(
  outDir: string = `${ROOT}/${CLI_OUT_DIR}`,
): Promise<string[]> {
  try {
    Deno.removeSync(outDir, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const lazy = lazyModules();
  const entries = [CLI_ENTRY, ...lazy];
  await Promise.all(
    entries.map((name) =>
      denoBundle(`lib/${name}.ts`, `${outDir}/${name}.js`, [
        "--platform",
        "deno",
        ...lazy.filter((other) => other !== name).flatMap((other) => [
          "--external",
          `./${other}.ts`,
        ]),
      ])
    ),
  );
  const names = listJs(outDir);
  for (const name of names) {
    const path = `${outDir}/${name}`;
    const code = compileEagerly(
      Deno.readTextFileSync(path)
        .replace(LAZY_IMPORT, 'import("./$1.js")')
        .replace(NPM_PATH, "npm:$1@$2/"),
    );
    Deno.writeTextFileSync(path, BANNER + code);
  }
  return names;
}

/**
 * Marks the top-level functions of a bundle for eager compilation.
 *
 * V8 compiles a function on its first call, and Deno's code cache holds
 * only what was compiled when the module was: so every start compiled the
 * start-up path anew (about 0.5 ms for `serve`). A function expression in
 * parentheses is compiled with its module, and so cached. Each top-level
 * `function f(...) {...}` (as esbuild prints it: `}` alone on the last line)
 * becomes `var f = (function f(...) {...});`, moved to the top of the file,
 * where a declaration would have been hoisted to. The function ends at the
 * first `}` line where its text parses on its own (an earlier one may sit
 * inside a template literal); when none does, the file is left as it is.
 *
 * @example
 * ```ts
 * compileEagerly("f();\nfunction f() {\n  return 1;\n}");
 * // "var f = (function f() {\n  return 1;\n});\nf();"
 * ```
 */
export function compileEagerly(code: string): string {
  const lines = code.split("\n");
  const kept: string[] = [];
  const eager: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^(?:async )?function\*? ?([\w$]+)\(/.exec(lines[i]);
    if (match === null) {
      kept.push(lines[i]);
      continue;
    }
    let end = lines.indexOf("}", i + 1);
    while (end !== -1 && !parsesAsFunction(lines.slice(i, end + 1))) {
      end = lines.indexOf("}", end + 1);
    }
    if (end === -1) return code;
    eager.push(`var ${match[1]} = (${lines.slice(i, end + 1).join("\n")});`);
    i = end;
  }
  // After the static imports, if any: they are hoisted above everything.
  let top = 0;
  while (top < kept.length && kept[top].startsWith("import ")) {
    while (top < kept.length && !kept[top].trimEnd().endsWith(";")) top++;
    top++;
  }
  return [...kept.slice(0, top), ...eager, ...kept.slice(top)].join("\n");
}

/** Whether `lines` are one whole function (`import.meta` allowed). */
function parsesAsFunction(lines: string[]): boolean {
  const text = lines.join("\n").replaceAll("import.meta", "import_meta");
  try {
    new Function(`return (${text});`);
    return true;
  } catch {
    return false;
  }
}

/** The modules of `lib/` that some module of `lib/` loads with `import("./x.ts")`. */
function lazyModules(): string[] {
  const names = new Set<string>();
  for (const { name } of Deno.readDirSync(`${ROOT}/lib`)) {
    if (!name.endsWith(".ts")) continue;
    const text = Deno.readTextFileSync(`${ROOT}/lib/${name}`);
    for (const [, lazy] of text.matchAll(LAZY_IMPORT)) names.add(lazy);
  }
  return [...names].sort();
}

/**
 * Compares `dir` with a fresh build of the CLI.
 *
 * @returns The files that differ, are missing or are extra; empty when
 * `dir` is up to date.
 */
export async function staleCliFiles(
  dir: string = `${ROOT}/${CLI_OUT_DIR}`,
): Promise<string[]> {
  const fresh = Deno.makeTempDirSync({ prefix: "pryx-build-" });
  try {
    const want = await buildCli(`${fresh}/cli`);
    const have = listJs(dir);
    const names = [...new Set([...want, ...have])].sort();
    return names.filter((name) =>
      readOrUndefined(`${fresh}/cli/${name}`) !==
        readOrUndefined(`${dir}/${name}`)
    );
  } finally {
    Deno.removeSync(fresh, { recursive: true });
  }
}

function listJs(dir: string): string[] {
  try {
    return Array.from(Deno.readDirSync(dir), (e) => e.name)
      .filter((name) => name.endsWith(".js"))
      .sort();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

if (import.meta.main) {
  try {
    if (Deno.args.includes("--check")) {
      const stale = await staleCliFiles();
      if (stale.length > 0) {
        console.error(
          `build: ${CLI_OUT_DIR}/ is out of date with lib/ (${stale.length} file(s), first ${
            stale[0]
          }): run "deno task build" and commit ${CLI_OUT_DIR}/`,
        );
        Deno.exit(1);
      }
    } else {
      const names = await buildCli();
      console.error(`Built ${CLI_OUT_DIR}/ (${names.length} files)`);
    }
  } catch (err) {
    console.error(`build: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
