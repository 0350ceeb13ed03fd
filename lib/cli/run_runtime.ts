/**
 * How `pryx-core run` starts the runtime it uses when none is live: this
 * same program's `serve --exit-when-idle` in the background (its own process
 * group, its stderr relayed only while it is news), waited for until ready;
 * when another `run` won the race to start it, that one is used.
 *
 * @module
 */

import { HEALTH_TIMEOUT_MS, RUNTIME_PERMISSIONS } from "../shared/config.ts";
import { inspectInstance } from "../shared/verdict.ts";
import { type FoundRuntime } from "../discovery/discover.ts";
import type { StatePlan } from "../discovery/plan.ts";
import { notFound } from "../discovery/report.ts";
import { waitForDiscovery } from "../discovery/wait.ts";
import { ExitCode, PryxError } from "../shared/errors.ts";
import { denoHost } from "../discovery/host.ts";
import { fileUrlToPath } from "../shared/file_url.ts";
import type { Os } from "../shared/os.ts";

import { report } from "./output.ts";
import { stopChild } from "./run_child.ts";

/**
 * The idle time of a runtime `run` starts, in ms: it stops this long after
 * the last lease ends (the contract allows 2 s; a second `run` that starts
 * right after the first ends still finds it).
 */
export const RUN_IDLE_EXIT_MS = 1000;

/**
 * Starts `serve` for the plan's instance and waits until it is live.
 * When another process won the race to start it, that one is used.
 */
export async function startRuntime(
  plan: StatePlan,
  timeoutMs: number,
): Promise<FoundRuntime> {
  const host = denoHost();
  const [cmd, args] = serveCommandLine(plan.instance, plan.stateDir);
  const server = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    // Relayed while this run lives, not inherited: an inherited pipe would
    // keep a caller that reads run's stderr (`$(pryx-core run ...)`)
    // waiting until the shared runtime exits, long after this run.
    stderr: "piped",
    // Its own process group: a Ctrl-C in the terminal reaches CMD, not the
    // runtime that other runs may share.
    detached: true,
  }).spawn();
  // Held back until it is known whether this serve won: one that lost the
  // race to another run's has nothing to say that is true for this run.
  const messages = relayWhenOpen(server.stderr);
  const exited = new AbortController();
  let exitCode: number | undefined;
  server.status.then((s) => {
    exitCode = s.code;
    exited.abort();
  });
  const outcome = await waitForDiscovery(
    host,
    plan,
    timeoutMs,
    report,
    exited.signal,
  );
  const found = outcome.runtime;
  // Unchecked (no /health answer to compare) counts as ours, as before.
  if (found !== undefined && (found.health?.pid ?? server.pid) === server.pid) {
    messages.open();
    console.error(
      `pryx-core: Started runtime "${plan.instance}" at ${found.url}`,
    );
    return found;
  }
  if (found !== undefined || exitCode === ExitCode.AlreadyRunning) {
    // Another run started it first: use theirs once it is ready. Ours
    // exits 4 (the other holds the lock), which is no news to our caller.
    messages.drop();
    if (found !== undefined) return found;
    const theirs = await waitForDiscovery(host, plan, timeoutMs, report);
    if (theirs.runtime !== undefined) return theirs.runtime;
    throw notFound(theirs, timeoutMs);
  }
  if (exitCode !== undefined && exitCode !== ExitCode.Ok) {
    // Its own record says why (SPEC 2); its stderr said the same line.
    const failed = await inspectInstance(host, {
      stateDir: plan.stateDir,
      check: false,
      healthTimeoutMs: HEALTH_TIMEOUT_MS,
    }, plan.instance);
    if (failed.state === "stopped" && failed.lastFailure !== undefined) {
      messages.drop();
      throw new PryxError(
        `The runtime of instance "${plan.instance}" could not start: ${failed.lastFailure.message}`,
        failed.lastFailure.exitCode as ExitCode,
      );
    }
  }
  messages.open();
  if (exitCode === undefined) {
    await stopChild(server);
    throw new PryxError(
      `The runtime did not become ready within ${
        timeoutMs / 1000
      } s; see its messages above, or raise --timeout`,
      ExitCode.NotFound,
    );
  }
  throw new PryxError(
    `The runtime exited with code ${exitCode} before it was ready; see its message above`,
    exitCode === 0 ? ExitCode.NotFound : exitCode as ExitCode,
  );
}

/** What {@linkcode serveCommandLine} needs to know about this process. */
export interface EntryProcess {
  /** `Deno.build.standalone`: a `deno compile` binary. */
  standalone: boolean;
  /** `Deno.execPath()`: the binary, or the `deno` CLI. */
  execPath: string;
  /** `Deno.mainModule`: the URL of the entry module. */
  mainModule: string;
  /** The OS, for the file-URL conversion. */
  os: Os;
  /** Whether a path names a file (the `deno.json` beside the entry). */
  isFile(path: string): boolean;
}

function thisProcess(): EntryProcess {
  return {
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    os: Deno.build.os,
    isFile(path) {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The command line that runs this program's `serve`: the binary itself when
 * compiled with `deno compile`, else `deno run` of the entry module this
 * process runs (`main.ts`), with the `deno.json` beside it as `--config`
 * when there is one. That is the checkout's configuration (its import map
 * and frozen lock) whether pryx-core runs from the checkout, from a
 * `deno install -g` shim (whose entry is the checkout's `main.ts`), or
 * from inside a user's own Deno project with a `deno.json` of its own.
 */
export function serveCommandLine(
  instance: string,
  stateDir: string,
  proc: EntryProcess = thisProcess(),
): [string, string[]] {
  return selfCommandLine([
    "serve",
    "--instance",
    instance,
    "--state-dir",
    stateDir,
    "--exit-when-idle",
    `${RUN_IDLE_EXIT_MS}ms`,
    // Its log goes to <instance>.log, which outlives this run; only a
    // start that fails speaks on the stderr this run relays.
    "--log-to-file",
  ], proc);
}

/**
 * The command line that runs this program with `programArgs`: see
 * {@linkcode serveCommandLine} for how it is found.
 */
export function selfCommandLine(
  programArgs: readonly string[],
  proc: EntryProcess = thisProcess(),
): [string, string[]] {
  const serveArgs = [...programArgs];
  if (proc.standalone) return [proc.execPath, serveArgs];
  // The entry this process was started with (main.ts, or lib/cli/main.ts).
  const main = new URL(proc.mainModule);
  if (main.protocol !== "file:") {
    return [proc.execPath, [
      "run",
      ...RUNTIME_PERMISSIONS,
      main.href,
      ...serveArgs,
    ]];
  }
  const entry = fileUrlToPath(main, proc.os);
  const config = fileUrlToPath(new URL("deno.json", main), proc.os);
  return [proc.execPath, [
    "run",
    ...RUNTIME_PERMISSIONS,
    ...(proc.isFile(config) ? ["--config", config] : []),
    entry,
    ...serveArgs,
  ]];
}

/**
 * Copies the started runtime's stderr to ours while this process lives,
 * once `open()` is called (what came before is written then); after
 * `drop()` it is read and thrown away. Once this process has gone, the
 * runtime's writes fail quietly (its logger ignores a closed stderr).
 */
function relayWhenOpen(
  stream: ReadableStream<Uint8Array>,
): { open(): void; drop(): void } {
  let state = "held" as "held" | "open" | "dropped";
  const held: Uint8Array[] = [];
  const write = (chunk: Uint8Array) => {
    try {
      for (let done = 0; done < chunk.length;) {
        done += Deno.stderr.writeSync(chunk.subarray(done));
      }
    } catch {
      // Our stderr is closed: nothing to relay to.
    }
  };
  (async () => {
    try {
      for await (const chunk of stream) {
        if (state === "open") write(chunk);
        else if (state === "held") held.push(chunk);
      }
    } catch {
      // The runtime's stderr went away with it.
    }
  })();
  return {
    open() {
      state = "open";
      held.splice(0).forEach(write);
    },
    drop() {
      state = "dropped";
      held.length = 0;
    },
  };
}
