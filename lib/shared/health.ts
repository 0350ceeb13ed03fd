/**
 * The liveness check of a candidate: `GET /health` must answer `ok` as
 * `pryx-core`. Another HTTP server answering 200 is not a runtime. When the
 * caller knows the token (from the 0600 `<instance>.json`), the request
 * carries a fresh random challenge and the answer must carry its proof, so
 * a process that took a dead runtime's port cannot pass for it. Web
 * standards only (`fetch`, `AbortSignal.timeout`, Web Crypto), so the client
 * runs it on Deno, Node and Bun.
 *
 * @module
 */

import { HEALTH_TIMEOUT_MS, SERVICE } from "./config.ts";
import {
  canProve,
  CHALLENGE_PARAM,
  generateChallenge,
  proofKey,
  verifyProof,
} from "./proof.ts";
import { PryxError } from "./errors.ts";
import { directFetch, type LocalAnswer, SOCKET_URLS } from "./direct.ts";

/** What `/health` answers. */
export interface Health {
  /** `ok`, or `shutting_down` while draining. */
  status: string;
  /** Always `pryx-core` for a real runtime. */
  service: string;
  /** The server's pid. */
  pid?: number;
  /** The server's version. */
  version?: string;
  /** The server's instance name. */
  instance?: string;
  /** The server's run id (128 bits, hex). */
  runId?: string;
  /** The server's protocol version. */
  protocol?: number;
  /** `hex(HMAC-SHA256(token, challenge))`, when a challenge was sent. */
  proof?: string;
}

/** What a proof is checked against: the token and the file it came from. */
export interface ProofKey {
  /** The token from `<instance>.json`. */
  token: string;
  /** Where the token came from (a file's path), for the message. */
  file: string;
}

/**
 * Why a candidate failed its `/health` check: it did not answer at all
 * (`silent`: nothing listening, or no answer in time), answered as
 * something else (`foreign`), failed the proof (`unproven`), or is
 * `draining`.
 */
export type HealthFailure = "silent" | "foreign" | "unproven" | "draining";

/** The outcome of one `/health` check. */
export type HealthCheck =
  | { ok: true; health: Health }
  | { ok: false; why: string; failure: HealthFailure };

/**
 * How a check reaches the runtime: its Unix socket when the record names
 * one this reader can use, else (or when that socket does not accept)
 * TCP; only the socket when TCP is not this reader's to use (a record of
 * another network namespace, SPEC 2).
 */
export interface HealthRoute {
  /** The socket's path. */
  socket?: string;
  /** Never fall back to TCP. */
  socketOnly?: boolean;
}

/**
 * Checks `${url}/health` (over `route.socket` when given): live only when
 * it answers `ok` as `pryx-core` within `timeoutMs` milliseconds, and,
 * when `key` is given (and the runtime has Web Crypto), with the proof of
 * a fresh challenge. Never through a proxy ({@linkcode directFetch}). A
 * socket that refuses at once (gone, not accepting) is followed by the
 * TCP check, unless `route.socketOnly`; one that does not answer in time
 * is not: the owner is the same process either way.
 *
 * @returns The answer, or why the
 * candidate is not live (one clause).
 * @throws {UsageError} On Deno without `--allow-net`, naming the flag.
 */
export async function checkHealth(
  url: string,
  timeoutMs: number = HEALTH_TIMEOUT_MS,
  key?: ProofKey,
  route: HealthRoute = {},
): Promise<HealthCheck> {
  // The key is imported while the request is on its way.
  const proving = key !== undefined && canProve()
    ? {
      challenge: generateChallenge(),
      key: proofKey(key.token),
      file: key.file,
    }
    : undefined;
  const query = proving === undefined
    ? ""
    : `?${CHALLENGE_PARAM}=${proving.challenge}`;
  let res: LocalAnswer;
  const signal = AbortSignal.timeout(timeoutMs);
  let where = route.socket === undefined ? url : `the socket ${route.socket}`;
  try {
    if (route.socket === undefined) {
      res = await directFetch(`${url}/health${query}`, { signal });
    } else {
      try {
        res = await directFetch(
          `${SOCKET_URLS.url}/health${query}`,
          { signal },
          route.socket,
        );
      } catch (err) {
        if (err instanceof PryxError || signal.aborted || route.socketOnly) {
          throw err;
        }
        where = url;
        res = await directFetch(`${url}/health${query}`, { signal });
      }
    }
  } catch (err) {
    if (err instanceof PryxError) throw err;
    const timedOut = signal.aborted;
    return {
      ok: false,
      failure: "silent",
      why: timedOut
        ? `${where} did not answer within ${timeoutMs} ms`
        : `nothing answers at ${where}`,
    };
  }
  let body: unknown;
  try {
    body = res.json();
  } catch {
    body = undefined;
  }
  const h = body as Partial<Health> | undefined;
  if (typeof h !== "object" || h === null || h.service !== SERVICE) {
    return {
      ok: false,
      failure: "foreign",
      why: `${where} answers, but not as ${SERVICE}`,
    };
  }
  if (proving !== undefined) {
    // A real runtime proves itself while draining too: check first, so an
    // impostor is named as one whatever status it claims.
    const { challenge } = proving;
    if (!await verifyProof(await proving.key, challenge, h.proof)) {
      const what = h.proof === undefined
        ? "answers without a proof"
        : "answers with a wrong proof";
      return {
        ok: false,
        failure: "unproven",
        why: `${where} ${what}: not the owner of ${proving.file}`,
      };
    }
  }
  if (h.status !== "ok" || !res.ok) {
    return {
      ok: false,
      failure: "draining",
      why: `${where} is shutting down`,
    };
  }
  return { ok: true, health: h as Health };
}
