/**
 * Which modules a run of pryx-core loads, and how many bytes of source they
 * are: the measure of a start-up path that does not depend on the load of
 * the machine (each module costs about half a millisecond here, SPEC 6a).
 *
 * Two ways, one checking the other:
 * - At run time, {@linkcode loadedByRun} runs `main.ts` from sources with
 *   `DENO_COVERAGE_DIR` set: V8 writes one coverage file per script it
 *   compiled, named with the script's URL and its `scriptId`, which V8
 *   hands out in the order it compiles. That is every module the run
 *   loaded, lazy imports included, in load order; nothing is inferred.
 * - Statically, {@linkcode loadedBeforeRun} walks the code edges of `deno
 *   info --json` (type-only edges aside, which is what `typeof import()` of
 *   `importLazily` is): what `deno run` loads before the first line of the
 *   entries runs. The serve path is cut there: what `main.ts` and
 *   `lib/cli/serve.ts` load statically is what runs before the port file
 *   exists (the app, the hub and the keepers come by `importLazily` after
 *   `publishFiles`, SPEC 6a); the runtime order confirms it.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { RUNTIME_PERMISSIONS } from "../../lib/shared/config.ts";
import { childEnv } from "./cli.ts";
import { killIfRunning } from "./process.ts";

const MAIN = new URL("../../main.ts", import.meta.url);

/** A loaded module: its URL and the bytes of its source. */
export interface LoadedModule {
  /** The module's URL (`file:` for local and npm files). */
  url: string;
  /** The size of its source file in bytes (0 when it is not a file). */
  bytes: number;
}

/** Bytes of the file `url` names, 0 for a URL that is not a file. */
function sourceBytes(url: string): number {
  if (!url.startsWith("file:")) return 0;
  try {
    return Deno.statSync(new URL(url)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

/** The modules of the coverage files in `dir`, in the order V8 compiled them. */
function coveredModules(dir: string): LoadedModule[] {
  const scripts: { id: number; url: string }[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.endsWith(".json")) continue;
    const { scriptId, url } = JSON.parse(
      Deno.readTextFileSync(`${dir}/${e.name}`),
    ) as { scriptId: string; url: string };
    scripts.push({ id: Number(scriptId), url });
  }
  return scripts.sort((a, b) => a.id - b.id).map(({ url }) => ({
    url,
    bytes: sourceBytes(url),
  }));
}

/** Options of {@linkcode loadedByRun}. */
export interface RunOptions {
  /** The state directory of the run (`PRYX_HOME`). */
  home: string;
  /**
   * For a run that does not exit by itself (`serve`): resolves when it has
   * done what should be measured; the run then gets SIGTERM.
   */
  until?: () => Promise<void>;
}

/**
 * Runs `deno run main.ts ARGS` from sources (whatever `$PRYX_CORE_BIN`
 * says) and returns every module it loaded, in load order. The exit code
 * does not matter: a `discover` that finds nothing has loaded its path.
 */
export async function loadedByRun(
  args: string[],
  options: RunOptions,
): Promise<LoadedModule[]> {
  const coverage = await Deno.makeTempDir({ prefix: "pryx-modules-" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...RUNTIME_PERMISSIONS, fileURLToPath(MAIN), ...args],
      env: childEnv({ PRYX_HOME: options.home, DENO_COVERAGE_DIR: coverage }),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const timer = setTimeout(() => killIfRunning(child), 30_000);
    try {
      if (options.until) {
        await options.until();
        killIfRunning(child, "SIGTERM");
      }
      await child.status;
    } finally {
      clearTimeout(timer);
      killIfRunning(child);
      await child.status;
    }
    return coveredModules(coverage);
  } finally {
    await Deno.remove(coverage, { recursive: true });
  }
}

/**
 * The modules `deno run` loads for `entries` before their first line runs:
 * the closure of their static imports, in no particular order.
 */
export async function loadedBeforeRun(entries: URL[]): Promise<LoadedModule[]> {
  const seen = new Map<string, LoadedModule>();
  for (const entry of entries) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry.href],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string } }[];
      }[];
    };
    const edges = new Map(graph.modules.map((m) => [
      m.specifier,
      (m.dependencies ?? []).flatMap((d) => d.code ? [d.code.specifier] : []),
    ]));
    const todo = [entry.href];
    while (todo.length > 0) {
      const url = todo.pop()!;
      if (seen.has(url)) continue;
      seen.set(url, { url, bytes: sourceBytes(url) });
      todo.push(...edges.get(url) ?? []);
    }
  }
  return [...seen.values()];
}

/** The count and the total bytes of `modules`. */
export function weigh(modules: LoadedModule[]): {
  modules: number;
  bytes: number;
} {
  return {
    modules: modules.length,
    bytes: modules.reduce((sum, m) => sum + m.bytes, 0),
  };
}
