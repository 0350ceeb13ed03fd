/**
 * What a discovery finds, as typed values: {@linkcode FoundRuntime} for a
 * live runtime, {@linkcode DiscoverOutcome} for the whole answer (found, or
 * why not), {@linkcode SkipReporter} for the candidates skipped on the way.
 * The engine (`discover.ts`) makes them; the words (`report.ts`) read them.
 *
 * @module
 */

import type { Health, HealthFailure } from "../shared/health.ts";
import type { RuntimeInfo } from "../shared/instance_files.ts";
import type { Verdict } from "../shared/verdict.ts";

/**
 * Why a candidate was skipped: `stale` (files of a process that is gone, or
 * that disagree), `incompatible` (live, but speaks another protocol),
 * `elsewhere` (live on another machine), `override` (the URL override is
 * not live; it is final, so nothing else is tried) or `unreachable` (live,
 * but not by the way the caller asked for: no socket for `--format
 * socket`, only its socket for a URL).
 */
export type SkipKind =
  | "stale"
  | "incompatible"
  | "elsewhere"
  | "override"
  | "unreachable";

/** Receives one line per skipped candidate, with its kind. */
export type SkipReporter = (message: string, kind: SkipKind) => void;

/** A live runtime, as found. */
export interface FoundRuntime {
  /** Where it was found. */
  source: "env" | "file" | "probe";
  /**
   * The HTTP base URL, e.g. `http://127.0.0.1:38124`; absent when only the
   * socket reaches the runtime from here (a record of another network
   * namespace, SPEC 2), so that its loopback URL is never handed out.
   */
  url?: string;
  /** The WebSocket URL, e.g. `ws://127.0.0.1:38124/ws`; absent as `url`. */
  wsUrl?: string;
  /** The port of {@linkcode url}; absent as `url`. */
  port?: number;
  /**
   * The runtime's Unix socket, when it has one and this reader can use it
   * (SPEC 4): clients prefer it.
   */
  socket?: string;
  /** The bearer token of the bus, when token auth is on and the token is known. */
  token?: string;
  /** The instance metadata from `<instance>.json`, when known. */
  info?: RuntimeInfo;
  /** The `/health` answer, unless the check was skipped. */
  health?: Health;
}

/**
 * Why the URL override is not usable: its `/health` check failed, or it is
 * live but speaks another protocol.
 */
export type OverrideMiss =
  | { kind: "down"; url: string; failure: HealthFailure; why: string }
  | { kind: "incompatible"; url: string; health: Health };

/**
 * The outcome of a discovery: a `runtime`, or `miss` saying why not:
 * the override is not usable, or the state directory has nothing live;
 * `named` is then the verdict on the named instance, which says whether
 * waiting can help (an owner that holds it) and what to tell the user.
 */
export type DiscoverOutcome =
  | { runtime: FoundRuntime; tried: string[] }
  | {
    runtime?: undefined;
    tried: string[];
    miss: { source: "override"; override: OverrideMiss } | {
      source: "state";
      named: Verdict;
    };
  };
