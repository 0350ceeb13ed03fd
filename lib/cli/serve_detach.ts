/**
 * `pryx-core serve --detach` (SPEC 3): starts this program's `serve` in
 * the background, in a session of its own with no terminal in its stdio,
 * logging to `<instance>.log`; waits until it is ready, prints its URL and
 * exits 0. A start that fails exits with that start's own code and message
 * (its `<instance>.error`, else the line it wrote on stderr). What a
 * script wrote as `pryx-core serve & pryx-core discover --wait`.
 *
 * @module
 */

import { DEFAULT_WAIT_MS, HEALTH_TIMEOUT_MS } from "../shared/config.ts";
import { deadlineIn } from "../shared/clock.ts";
import type { StatePlan } from "../discovery/plan.ts";
import { ExitCode, PryxError } from "../shared/errors.ts";
import { ensureStateDir } from "../shared/state_dir.ts";
import { inspectInstance } from "../shared/verdict.ts";
import { instancePaths } from "../shared/instance_files.ts";
import { denoHost } from "../discovery/host.ts";
import { waitForDiscovery } from "../discovery/wait.ts";
import { selfCommandLine } from "./run_runtime.ts";
import { writeStdout } from "./output.ts";
import { stopChild } from "./run_child.ts";

/** The instance a detached serve is for. */
export interface DetachTarget {
  /** The instance name. */
  instance: string;
  /** The state directory. */
  stateDir: string;
}

/**
 * Runs `serve` with `args` (without `--detach`, with `--log-to-file` and
 * the resolved instance and state directory) in the background and waits
 * up to {@linkcode DEFAULT_WAIT_MS} for it.
 *
 * @returns 0 once it is ready (its URL printed on stdout).
 * @throws {PryxError} With the start's own code and message when it failed;
 * exit 1 when it did not become ready in time (it is stopped then).
 * @throws {StateDirError} When the state directory cannot be used.
 */
export async function detachServe(
  args: readonly string[],
  target: DetachTarget,
): Promise<number> {
  // Made (or refused) here, so the background serve has a log to write.
  ensureStateDir(target.stateDir);
  const [cmd, cmdArgs] = selfCommandLine([
    "serve",
    ...args.filter((a) => a !== "--detach"),
    "--instance",
    target.instance,
    "--state-dir",
    target.stateDir,
    "--log-to-file",
  ]);
  const startedAt = new Date().toISOString();
  const server = new Deno.Command(cmd, {
    args: cmdArgs,
    stdin: "null",
    stdout: "null",
    // Read until it is ready: a start that fails says why here. After
    // that it logs to its file; nothing reads this pipe any more.
    stderr: "piped",
    // setsid(2): its own session, out of reach of this terminal's SIGHUP
    // and Ctrl-C.
    detached: true,
  }).spawn();
  const said = collect(server.stderr);
  const exited = new AbortController();
  let exitCode: number | undefined;
  server.status.then((s) => {
    exitCode = s.code;
    exited.abort();
  });
  const host = denoHost();
  const plan: StatePlan = {
    source: "state",
    instance: target.instance,
    stateDir: target.stateDir,
    any: false,
    probePorts: [],
    check: true,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
    // It prints the URL of the runtime it started: one of this machine.
    reach: "tcp",
  };
  const deadline = deadlineIn(DEFAULT_WAIT_MS);
  for (;;) {
    const outcome = await waitForDiscovery(
      host,
      plan,
      deadline.left(),
      () => {},
      exited.signal,
    );
    const found = outcome.runtime;
    if (found !== undefined && found.health?.pid === server.pid) {
      said.stop();
      server.unref();
      writeStdout(`${found.url}\n`);
      return ExitCode.Ok;
    }
    if (exitCode !== undefined || deadline.passed()) break;
    // Another runtime is live there: ours says why it does not start (4),
    // or takes over from one that is on its way out.
    await Promise.race([server.status, delay(Math.min(100, deadline.left()))]);
  }
  if (exitCode === undefined) {
    await stopChild(server);
    throw new PryxError(
      `The runtime did not become ready within ${
        DEFAULT_WAIT_MS / 1000
      } s; see its log, ${instancePaths(target.stateDir, target.instance).log}`,
      ExitCode.NotFound,
    );
  }
  await server.status;
  const text = (await said.done).trim();
  const failed = await inspectInstance(host, {
    stateDir: target.stateDir,
    check: false,
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
  }, target.instance);
  // Its own record, when this start wrote it; else the line it said
  // (exit 4 records nothing: the owner runs).
  if (
    failed.state === "stopped" && failed.lastFailure !== undefined &&
    failed.lastFailure.at >= startedAt
  ) {
    throw new PryxError(
      failed.lastFailure.message,
      failed.lastFailure.exitCode as ExitCode,
    );
  }
  const code = exitCode === 0 ? ExitCode.NotFound : exitCode as ExitCode;
  // With --log-format json its words went to the log alone.
  if (text === "") {
    throw new PryxError(
      `The runtime exited with code ${exitCode} before it was ready; see its log, ${
        instancePaths(target.stateDir, target.instance).log
      }`,
      code,
    );
  }
  console.error(text);
  return code;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads `stream` as text until `stop()` (then cancels it) or its end. */
function collect(
  stream: ReadableStream<Uint8Array>,
): { stop(): void; done: Promise<string> } {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    } catch {
      // Cancelled: the runtime is ready and logs to its file.
    }
    return text;
  })();
  return {
    stop: () => void reader.cancel().catch(() => {}),
    done,
  };
}
