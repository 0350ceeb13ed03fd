/**
 * `--token-file PATH` / `PRYX_TOKEN_FILE`: the operator's token, read once
 * at start. Like `ssh` with a private key, a file that other users can read
 * is refused; so is a token too short to carry 192 bits or one that is not
 * a bearer token (RFC 6750 section 2.1, `b64token`). The token itself never
 * appears in a message.
 *
 * @module
 */

import type { Os } from "../shared/os.ts";
import { MIN_TOKEN_LENGTH } from "../shared/config.ts";
import { UsageError } from "../shared/errors.ts";
import { keptReason } from "../shared/special_paths.ts";

/** A bearer token's characters (RFC 6750 section 2.1, `b64token`). */
const B64TOKEN_RE = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads and checks the token file at `path`: one token, optionally followed
 * by a line ending.
 *
 * @param os The OS (default `Deno.build.os`): see {@linkcode tokenFileModeProblem}.
 * @returns The token.
 * @throws {UsageError} (exit 2) When the file cannot be read, other users
 * may read or write it, or its content is not a token of at least
 * {@linkcode MIN_TOKEN_LENGTH} characters.
 */
export function readTokenFile(
  path: string,
  os: Os = Deno.build.os,
): string {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    // /dev/stdin, a file under /proc: Deno's own hint would say --allow-all.
    const kept = err instanceof Deno.errors.NotCapable
      ? keptReason(path)
      : undefined;
    throw new UsageError(
      kept === undefined
        ? `Cannot read the token file "${path}": ${
          (err as Error).message.split("\n", 1)[0]
        }; check --token-file or PRYX_TOKEN_FILE`
        : `Cannot read the token file "${path}"${kept}; point --token-file or PRYX_TOKEN_FILE at a regular file elsewhere`,
    );
  }
  let text: string;
  try {
    // The mode of the file that is read, not of a path that may change.
    const stat = file.statSync();
    if (!stat.isFile) {
      throw new UsageError(
        `Cannot use the token file "${path}": it is not a regular file; point --token-file at a file`,
      );
    }
    const problem = tokenFileModeProblem(stat.mode, os);
    if (problem !== undefined) {
      throw new UsageError(
        `Refusing the token file "${path}": ${problem}; run "chmod 600 ${path}"`,
      );
    }
    // A token is short: more than a few KiB is not a token file.
    const buf = new Uint8Array(4096);
    const n = file.readSync(buf) ?? 0;
    text = new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    file.close();
  }
  return parseTokenText(text, path);
}

/**
 * Why a token file of mode `mode` must be refused, or `undefined` when it
 * is private to its owner. Windows has no Unix modes (`mode` is `null`
 * there; access is an ACL matter), so only Unix-like systems check.
 */
export function tokenFileModeProblem(
  mode: number | null,
  os: Os = Deno.build.os,
): string | undefined {
  if (os === "windows" || mode === null) return undefined;
  if ((mode & 0o077) === 0) return undefined;
  return `other users may read or change it (mode 0${
    (mode & 0o777).toString(8)
  })`;
}

/**
 * The token in a token file's text: surrounding white space (a trailing
 * newline) is dropped.
 *
 * @throws {UsageError} When it is empty, shorter than
 * {@linkcode MIN_TOKEN_LENGTH} characters, or holds characters a bearer
 * token cannot have.
 */
export function parseTokenText(text: string, path: string): string {
  const token = text.trim();
  if (token === "") {
    throw new UsageError(
      `The token file "${path}" is empty; write a token of at least ${MIN_TOKEN_LENGTH} random characters into it, e.g. "openssl rand -base64 32"`,
    );
  }
  if (!B64TOKEN_RE.test(token)) {
    throw new UsageError(
      `The token file "${path}" holds more than one token or characters a bearer token cannot have; use letters, digits and -._~+/ only`,
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new UsageError(
      `The token in "${path}" is too short (${token.length} characters); use at least ${MIN_TOKEN_LENGTH} random characters, e.g. "openssl rand -base64 32"`,
    );
  }
  return token;
}
