/**
 * Loading a module of pryx-core only when a code path needs it, at the cost
 * of that path alone.
 *
 * A literal `import("./x.ts")` defers only the evaluation: before the first
 * line of the program runs, `deno run` reads, hashes and analyses every
 * module that a statically analyzable dynamic import names, and all of
 * theirs (what Deno's hidden `--unstable-lazy-dynamic-imports` flag turns
 * off). For the CLI that meant every subcommand, the server and the app
 * were read on every start: `strace` counted 56 source files read for
 * `--version`, 4 with this module, about 3 ms of its start here.
 * {@linkcode importLazily} builds the specifier at run time, which Deno
 * cannot read ahead, so the module and its imports are read when the call
 * runs.
 *
 * The caller names the module twice, as the type (`typeof import("./x.ts")`,
 * which type checking, `deno info` and the layout test follow, but `deno
 * run` does not load) and as the path. `deno compile` embeds such modules
 * only when told: `scripts/compile.ts` passes every local module of the
 * graph with `--include`.
 *
 * @example
 * ```ts
 * const { serveCommand } = await importLazily<typeof import("../cli/serve.ts")>(
 *   "../cli/serve.ts",
 *   import.meta.url,
 * );
 * ```
 *
 * @module
 */

/**
 * Imports `path` (relative to `base`, the caller's `import.meta.url`) when
 * called, and not before.
 *
 * Unlike a literal `import()`, an import Deno cannot read ahead needs
 * `--allow-read` for the module's file; without it this throws
 * `Deno.errors.NotCapable` (what the CLI turns into its permission hint)
 * rather than the loader's `TypeError`.
 *
 * @typeParam T The module's type: `typeof import(path)`.
 * @returns The module namespace.
 * @throws {Deno.errors.NotCapable} Without read permission for the file.
 * @throws Whatever else the import throws (a missing module: `TypeError`).
 */
export function importLazily<T>(path: string, base: string): Promise<T> {
  const url = new URL(path, base);
  if (
    url.protocol === "file:" &&
    Deno.permissions.querySync({ name: "read", path: url }).state !==
      "granted"
  ) {
    return Promise.reject(
      new Deno.errors.NotCapable(
        `Requires read access to "${decodeURIComponent(url.pathname)}"`,
      ),
    );
  }
  return import(url.href);
}
