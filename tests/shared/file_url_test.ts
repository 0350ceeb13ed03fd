/**
 * Unit tests of the file-URL conversion (lib/shared/file_url.ts) on every
 * OS: never `/C:/...` on Windows, odd characters decoded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileUrlToPath } from "../../lib/shared/file_url.ts";

Deno.test("a file URL becomes a POSIX path, with spaces, '#', '%' and non-ASCII decoded", () => {
  for (const os of ["linux", "darwin"] as const) {
    assert.deepStrictEqual(
      fileUrlToPath("file:///home/me/pryx%20core/%23x/%25/%C3%A9/main.ts", os),
      "/home/me/pryx core/#x/%/é/main.ts",
    );
    assert.deepStrictEqual(
      fileUrlToPath(new URL("file://localhost/tmp/a.ts"), os),
      "/tmp/a.ts",
    );
    assert.throws(() => fileUrlToPath("file://server/x", os), TypeError);
  }
});

Deno.test("a file URL becomes a Windows path with a drive letter or a UNC share, never /C:/", () => {
  assert.deepStrictEqual(
    fileUrlToPath("file:///C:/Users/me/pryx%20core/main.ts", "windows"),
    "C:\\Users\\me\\pryx core\\main.ts",
  );
  assert.deepStrictEqual(
    fileUrlToPath("file://server/share/pryx/main.ts", "windows"),
    "\\\\server\\share\\pryx\\main.ts",
  );
  assert.throws(
    () => fileUrlToPath("file:///no-drive/x", "windows"),
    TypeError,
  );
  assert.throws(() => fileUrlToPath("file:///C:/a%5Cb", "windows"), TypeError);
});

Deno.test("a URL that is not file: or has an encoded slash is refused", () => {
  assert.throws(
    () => fileUrlToPath("https://example.com/x", "linux"),
    TypeError,
  );
  assert.throws(() => fileUrlToPath("file:///a%2Fb", "linux"), TypeError);
});
