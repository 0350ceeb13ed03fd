/**
 * The host adapter of the discovery side: what the engine needs from the
 * JavaScript runtime it runs on (environment, files, locks, directory
 * watching), as a {@linkcode DiscoverHost} on Deno APIs when
 * `globalThis.Deno` exists, and on `node:fs/promises` (loaded with a dynamic
 * `import()`) on Node and Bun.
 *
 * No static `node:` import: one wakes Deno's Node-compatibility layer, 10-15
 * ms of a 33 ms `discover`. The specifier is not a literal either, so Deno
 * does not even put it in the module graph of `discover`.
 *
 * @module
 */

import {
  envFromRecord,
  type EnvGetter,
  envReader,
  readDenoEnv,
} from "../shared/config.ts";
import { isMissingPermission, StateDirError } from "../shared/errors.ts";
import { isInstanceLocked } from "../shared/lock.ts";

/** What the discovery engine needs from the runtime it runs on. */
export interface DiscoverHost {
  /**
   * Reads an environment variable; a blank one reads as unset
   * ({@linkcode envReader}).
   *
   * @throws {UsageError} On Deno without `--allow-env` for it, naming the
   * flag.
   */
  env: EnvGetter;
  /** Reads a text file; `undefined` when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** The entry names of a directory; `undefined` when it does not exist. */
  readDir(dir: string): Promise<string[] | undefined>;
  /** Whether `path` exists (any kind). */
  exists(path: string): Promise<boolean>;
  /**
   * Whether a live process holds the flock on `path`. Absent where the
   * runtime has no flock (Node, Bun): `/health` alone decides there.
   */
  isLocked?: (path: string) => boolean;
  /** Calls `onChange` on every change in `dir` until closed. */
  watch?: (dir: string, onChange: () => void) => { close(): void };
}

/** The part of `node:fs/promises` the shim uses. */
interface NodeFs {
  readFile(path: string, encoding: "utf8"): Promise<string>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<unknown>;
  watch(
    path: string,
    options: { signal: AbortSignal },
  ): AsyncIterable<unknown>;
}

interface NodeProcess {
  env: Record<string, string | undefined>;
}

let cached: Promise<DiscoverHost> | undefined;

/**
 * The host of the running JavaScript runtime, created once.
 *
 * @example
 * ```ts
 * const host = await currentHost();
 * await host.readText("/tmp/x"); // undefined when missing
 * ```
 */
export function currentHost(): Promise<DiscoverHost> {
  return cached ??= "Deno" in globalThis
    ? Promise.resolve(denoHost())
    : nodeHost();
}

/** A {@linkcode DiscoverHost} on Deno's own APIs (sync calls: cheapest). */
export function denoHost(): DiscoverHost {
  return {
    env: envReader(readDenoEnv),
    readText: (path) => {
      try {
        return Promise.resolve(Deno.readTextFileSync(path));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(undefined);
        }
        throw unreadable(path, err);
      }
    },
    readDir: (dir) => {
      try {
        return Promise.resolve(
          Array.from(Deno.readDirSync(dir), (e) => e.name),
        );
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(undefined);
        }
        throw unreadable(dir, err);
      }
    },
    exists: (path) => {
      try {
        Deno.statSync(path);
        return Promise.resolve(true);
      } catch {
        return Promise.resolve(false);
      }
    },
    isLocked: isInstanceLocked,
    watch: (dir, onChange) => {
      const watcher = Deno.watchFs(dir, { recursive: false });
      (async () => {
        try {
          for await (const _ of watcher) onChange();
        } catch {
          // Closed or the directory went away: polling takes over.
        }
      })();
      return {
        close: () => {
          try {
            watcher.close();
          } catch {
            // already closed
          }
        },
      };
    },
  };
}

/** A {@linkcode DiscoverHost} on `node:fs/promises` (Node, Bun): no flock. */
async function nodeHost(): Promise<DiscoverHost> {
  const specifier = "node:fs/promises";
  const fs = await import(specifier) as NodeFs;
  const proc = (globalThis as { process?: NodeProcess }).process;
  const missing = (err: unknown) =>
    (err as { code?: string }).code === "ENOENT" ||
    (err as { code?: string }).code === "ENOTDIR";
  return {
    env: envFromRecord(proc?.env ?? {}),
    readText: async (path) => {
      try {
        return await fs.readFile(path, "utf8");
      } catch (err) {
        if (missing(err)) return undefined;
        throw unreadable(path, err);
      }
    },
    readDir: async (dir) => {
      try {
        return await fs.readdir(dir);
      } catch (err) {
        if (missing(err)) return undefined;
        throw unreadable(dir, err);
      }
    },
    exists: async (path) => {
      try {
        await fs.stat(path);
        return true;
      } catch {
        return false;
      }
    },
    watch: (dir, onChange) => {
      const controller = new AbortController();
      (async () => {
        try {
          for await (const _ of fs.watch(dir, { signal: controller.signal })) {
            onChange();
          }
        } catch {
          // Aborted or the directory went away: polling takes over.
        }
      })();
      return { close: () => controller.abort() };
    },
  };
}

function unreadable(path: string, err: unknown): Error {
  if (isMissingPermission(err)) return err as Error;
  return new StateDirError(
    `Cannot read "${path}": ${
      (err as Error).message.split("\n", 1)[0]
    }; check the permissions of the state directory or set PRYX_HOME`,
  );
}
