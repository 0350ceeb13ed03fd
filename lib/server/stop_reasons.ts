/**
 * Why a server stops: the first of the stop reasons it listens for. Signals
 * (SIGINT, SIGTERM, and SIGHUP, which a closed terminal sends) are listened
 * for here; other parts of the server add their reasons (the idle exit, and
 * `POST /control/shutdown`, how `stop` asks on every OS and across PID
 * namespaces) through {@linkcode StopReasons.stop}.
 *
 * @module
 */

import { listenableSignals, type Os } from "../shared/os.ts";
import { formatMs } from "../shared/config.ts";

/** Why the server is stopping. */
export type StopReason =
  /** A signal arrived. */
  | { kind: "signal"; signal: Deno.Signal }
  /** No lease and no client for `idleMs` (`--exit-when-idle`). */
  | { kind: "idle"; idleMs: number }
  /** `POST /control/shutdown` with the token (`pryx-core stop`). */
  | { kind: "control" }
  /**
   * Another process owns the instance now: it took the lock after this
   * one's state directory was removed (SPEC 2: the orphan steps down).
   */
  | { kind: "taken"; instance: string; stateDir: string };

/** The signals that stop the server with a drain. */
const STOP_SIGNALS: readonly Deno.Signal[] = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
];

/** The stop reasons of one server run. */
export interface StopReasons {
  /** Resolves with the first reason. */
  readonly first: Promise<StopReason>;
  /** Stops for `reason` (ignored when a reason came first). */
  stop(reason: StopReason): void;
  /** Removes the signal listeners. */
  remove(): void;
}

/**
 * Starts listening for the stop signals.
 *
 * @param options.os The OS (default `Deno.build.os`): see {@linkcode stopSignals}.
 * @param options.hangupIgnored Whether SIGHUP was ignored when the process
 * started (`nohup`), asked before this call: Deno's first signal listener,
 * of any signal, resets an ignored SIGHUP to its default action (measured
 * on Deno 2.9.6, Linux). Then a SIGHUP listener that does nothing keeps it
 * ignored (SPEC 3).
 */
export function listenForStopReasons(
  options: { os?: Os; hangupIgnored?: boolean } = {},
): StopReasons {
  const first = Promise.withResolvers<StopReason>();
  const listeners = stopSignals(options.os).map((signal) =>
    [
      signal,
      signal === "SIGHUP" && options.hangupIgnored
        ? () => {} // ignored at start: stays so
        : () => first.resolve({ kind: "signal", signal }),
    ] as const
  );
  for (const [signal, fn] of listeners) Deno.addSignalListener(signal, fn);
  return {
    first: first.promise,
    stop: (reason) => first.resolve(reason),
    remove() {
      for (const [signal, fn] of listeners) {
        Deno.removeSignalListener(signal, fn);
      }
    },
  };
}

/**
 * The signals a process can catch to stop with a drain on `os`: the Unix
 * ones, and on Windows also SIGBREAK (`listenableSignals`); `stop` uses the
 * control route everywhere, as Windows has no signal to send.
 */
export function stopSignals(
  os: Os = Deno.build.os,
): readonly Deno.Signal[] {
  return listenableSignals(STOP_SIGNALS, os);
}

/** One line for the log: why the server is stopping. */
export function describeStopReason(reason: StopReason): string {
  switch (reason.kind) {
    case "signal":
      return `Received ${reason.signal}, shutting down`;
    case "idle":
      return `No lease and no client for ${
        formatMs(reason.idleMs)
      } (--exit-when-idle), shutting down`;
    case "control":
      return "Shutdown requested over HTTP (POST /control/shutdown), shutting down";
    case "taken":
      return `Another process took instance "${reason.instance}" in ${reason.stateDir} after its files were removed; shutting down`;
  }
}
