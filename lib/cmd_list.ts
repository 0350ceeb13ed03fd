/**
 * `pryx-core list` (not yet implemented).
 *
 * @module
 */

import { NotFoundError } from "./errors.ts";

/** Runs `list`. */
export function listCommand(_args: string[]): Promise<number> {
  return Promise.reject(new NotFoundError("list is not implemented yet"));
}
