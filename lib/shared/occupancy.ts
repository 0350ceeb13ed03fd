/**
 * `GET /info` of a live runtime: how many WebSocket clients and leases it
 * has right now, as the hub counts them. `list` shows them; a start asks
 * them before it takes over from an owner (`succession.ts`). Under token auth `/info` needs the token,
 * which the caller read from the 0600 `<instance>.json`. Never through a
 * proxy (see `direct.ts`).
 *
 * @module
 */

import { HEALTH_TIMEOUT_MS } from "./config.ts";
import { directFetch } from "./direct.ts";

/** How busy a runtime is. */
export interface Occupancy {
  /** Connected WebSocket clients. */
  clients: number;
  /** Leases held (`{"type":"lease"}`), over all clients. */
  leases: number;
}

/**
 * Asks `${url}/info` for the runtime's clients and leases.
 *
 * @param token Sent as `Authorization: Bearer` when given.
 * @returns The counts, or `undefined` when the runtime does not answer them
 * (an older runtime, a refused token, a timeout).
 */
export async function fetchOccupancy(
  url: string,
  token?: string,
  timeoutMs: number = HEALTH_TIMEOUT_MS,
): Promise<Occupancy | undefined> {
  try {
    const res = await directFetch(`${url}/info`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = res.json() as Partial<Occupancy>;
    if (
      !res.ok || !Number.isInteger(body.clients) ||
      !Number.isInteger(body.leases)
    ) {
      return undefined;
    }
    return { clients: body.clients!, leases: body.leases! };
  } catch (err) {
    // Nothing answered (TypeError), not in time (the signal's DOMException),
    // or not JSON (SyntaxError): it did not say.
    if (
      err instanceof TypeError || err instanceof DOMException ||
      err instanceof SyntaxError
    ) {
      return undefined;
    }
    throw err;
  }
}
