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
import { denoVerdictHost, unreadable } from "../shared/deno_verdict_host.ts";
import { machineOf } from "../shared/machine.ts";
import { parentDir } from "../shared/parent_dir.ts";
import { isAbsent, StateDirError } from "../shared/errors.ts";
import { distrustOf, refuseUntrusted } from "../shared/trust.ts";
import type { VerdictHost } from "../shared/verdict.ts";

/** What the discovery engine needs from the runtime it runs on. */
export interface DiscoverHost extends VerdictHost {
  /**
   * Reads an environment variable; a blank one reads as unset
   * ({@linkcode envReader}).
   *
   * @throws {UsageError} On Deno without `--allow-env` for it, naming the
   * flag.
   */
  env: EnvGetter;
  /** Whether `path` exists (any kind). */
  exists(path: string): Promise<boolean>;
  /** Calls `onChange` on every change in `dir` until closed. */
  watch?: (dir: string, onChange: () => void) => { close(): void };
}

/** The part of `node:fs/promises` the shim uses. */
interface NodeFs {
  readFile(path: string, encoding: "utf8"): Promise<string>;
  readdir(path: string): Promise<string[]>;
  lstat(path: string): Promise<{ uid: number; mode: number }>;
  stat(path: string): Promise<unknown>;
  watch(
    path: string,
    options: { signal: AbortSignal },
  ): AsyncIterable<unknown>;
}

interface NodeProcess {
  env: Record<string, string | undefined>;
  platform?: string;
  getuid?: () => number;
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
    ...denoVerdictHost(),
    exists: (path) => {
      try {
        Deno.statSync(path);
        return Promise.resolve(true);
      } catch (err) {
        if (isAbsent(err)) return Promise.resolve(false);
        return Promise.reject(err);
      }
    },
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
  const machine = await nodeMachine();
  const os = proc?.platform === "win32" ? "windows" : proc?.platform ?? "";
  const me = proc?.getuid?.();
  /** The rule of `shared/trust.ts`, on `lstat`. */
  const trust = async (path: string) => {
    const stat = await fs.lstat(path);
    refuseUntrusted(distrustOf(path, stat, me, os));
  };
  return {
    env: envFromRecord(proc?.env ?? {}),
    machine: () => machine,
    readText: async (path) => {
      try {
        await trust(parentDir(path) ?? ".");
        await trust(path);
        return await fs.readFile(path, "utf8");
      } catch (err) {
        if (missing(err)) return undefined;
        if (err instanceof StateDirError) throw err;
        throw unreadable(path, err);
      }
    },
    readDir: async (dir) => {
      try {
        await trust(dir);
        return await fs.readdir(dir);
      } catch (err) {
        if (missing(err)) return undefined;
        if (err instanceof StateDirError) throw err;
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

/**
 * The machine of a Node or Bun process ({@linkcode machineOf}): its host
 * name from `node:os`, loaded only here (off Deno's start-up path).
 */
async function nodeMachine(): Promise<string | undefined> {
  const specifier = "node:os";
  const os = await import(specifier) as { hostname(): string };
  return machineOf(os.hostname());
}
