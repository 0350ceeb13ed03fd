/**
 * The liveness check of a candidate: `GET /health` must answer `ok` as
 * `pryx-core`. Another HTTP server answering 200 is not a
 * runtime. Web standards only (`fetch`, `AbortSignal.timeout`), so the
 * client runs it on Deno, Node and Bun.
 *
 * @module
 */

import { HEALTH_TIMEOUT_MS, SERVICE } from "../shared/config.ts";

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
}

/** The outcome of one `/health` check. */
export type HealthCheck =
  | { ok: true; health: Health }
  | { ok: false; why: string };

/**
 * Checks `${url}/health`: live only when it answers `ok` as `pryx-core`
 * within `timeoutMs` milliseconds.
 *
 * @returns The answer, or why the candidate is not live (one clause).
 */
export async function checkHealth(
  url: string,
  timeoutMs: number = HEALTH_TIMEOUT_MS,
): Promise<HealthCheck> {
  let res: Response;
  try {
    res = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    return {
      ok: false,
      why: timedOut
        ? `${url} did not answer within ${timeoutMs} ms`
        : `nothing answers at ${url}`,
    };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const h = body as Partial<Health> | undefined;
  if (typeof h !== "object" || h === null || h.service !== SERVICE) {
    return { ok: false, why: `${url} answers, but not as ${SERVICE}` };
  }
  if (h.status !== "ok" || !res.ok) {
    return { ok: false, why: `${url} is shutting down` };
  }
  return { ok: true, health: h as Health };
}
