/**
 * `file:` URL to file path, for every OS: `new URL(...).pathname` is not a
 * path on Windows (`/C:/Users/me/main.ts`, percent-encoded). The rules are
 * those of RFC 8089 and of Node's `url.fileURLToPath`, written out because
 * a `node:` import would wake Deno's Node-compatibility layer on paths that
 * avoid it.
 *
 * @module
 */

import type { Os } from "./os.ts";

/**
 * The file path of a `file:` URL.
 *
 * - POSIX: the decoded path; a host other than `localhost` is refused.
 * - Windows: `file:///C:/a%20b/x.ts` → `C:\a b\x.ts`, and
 *   `file://server/share/x.ts` → `\\server\share\x.ts` (UNC).
 *
 * @throws {TypeError} For a URL that is not `file:`, or that no path names
 * on this OS (an encoded `/` or NUL, a host on POSIX, no drive on Windows).
 *
 * @example
 * ```ts
 * fileUrlToPath("file:///C:/a%20b/main.ts", "windows"); // "C:\\a b\\main.ts"
 * fileUrlToPath("file:///home/me/main.ts", "linux"); // "/home/me/main.ts"
 * ```
 */
export function fileUrlToPath(
  url: string | URL,
  os: Os = Deno.build.os,
): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") {
    throw new TypeError(`Not a file URL: ${u.href}`);
  }
  const encoded = u.pathname;
  if (/%2f|%00/i.test(encoded) || (os === "windows" && /%5c/i.test(encoded))) {
    throw new TypeError(
      `File URL path must not include encoded / or NUL characters: ${u.href}`,
    );
  }
  const path = decodeURIComponent(encoded);
  const host = u.hostname === "localhost" ? "" : u.hostname;
  if (os !== "windows") {
    if (host !== "") {
      throw new TypeError(
        `File URL host must be "localhost" or empty: ${u.href}`,
      );
    }
    return path;
  }
  const windowsPath = path.replaceAll("/", "\\");
  if (host !== "") return `\\\\${host}${windowsPath}`;
  if (!/^\\[A-Za-z]:(\\|$)/.test(windowsPath)) {
    throw new TypeError(`File URL path must be absolute (C:/...): ${u.href}`);
  }
  return windowsPath.slice(1);
}
