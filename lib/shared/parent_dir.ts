/**
 * The parent directory of a path, for `/` and `\` alike (a Windows state
 * directory is often built as `C:\Users\me/.pryx`).
 *
 * @module
 */

/**
 * The directory that holds `path`, ignoring trailing separators.
 *
 * @returns The parent (`/` for `/a`), or `undefined` when `path` has no
 * separator left (`a`, `/`).
 *
 * @example
 * ```ts
 * parentDir("/home/me/.pryx/runtime.json"); // "/home/me/.pryx"
 * parentDir("C:\\Users\\me/.pryx"); // "C:\\Users\\me"
 * ```
 */
export function parentDir(path: string): string | undefined {
  const cut = path.replace(/[\\/]+$/, "").search(/[\\/][^\\/]*$/);
  if (cut < 0) return undefined;
  return cut === 0 ? path[0] : path.slice(0, cut);
}
