/**
 * `pryx-core stop` (not yet implemented).
 *
 * @module
 */

import { NotFoundError } from "./errors.ts";

/** Runs `stop`. */
export function stopCommand(_args: string[]): Promise<number> {
  return Promise.reject(new NotFoundError("stop is not implemented yet"));
}
