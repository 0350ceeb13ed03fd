/**
 * `pryx-core discover` (not yet implemented).
 *
 * @module
 */

import { NotFoundError } from "./errors.ts";

/** Runs `discover`. */
export function discoverCommand(_args: string[]): Promise<number> {
  return Promise.reject(new NotFoundError("discover is not implemented yet"));
}
