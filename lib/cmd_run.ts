/**
 * `pryx-core run` (not yet implemented).
 *
 * @module
 */

import { NotFoundError } from "./errors.ts";

/** Runs `run`. */
export function runCommand(_args: string[]): Promise<number> {
  return Promise.reject(new NotFoundError("run is not implemented yet"));
}
