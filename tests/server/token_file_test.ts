/**
 * Unit tests of `--token-file`: the mode check on every OS, the token's
 * shape, and real files.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UsageError } from "../../lib/shared/errors.ts";
import {
  parseTokenText,
  readTokenFile,
  tokenFileModeProblem,
} from "../../lib/server/token_file.ts";

const GOOD = "0123456789abcdefghijklmnopqrstuvwxyzABCD";

Deno.test("tokenFileModeProblem refuses group or other bits on Unix-like systems", () => {
  for (const os of ["linux", "darwin", "freebsd"] as const) {
    assert.deepStrictEqual(tokenFileModeProblem(0o100600, os), undefined);
    assert.deepStrictEqual(tokenFileModeProblem(0o100400, os), undefined);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o610]) {
      assert.match(
        tokenFileModeProblem(0o100000 | mode, os) ?? "",
        new RegExp(`mode 0${mode.toString(8)}`),
        `${os} ${mode.toString(8)}`,
      );
    }
  }
});

Deno.test("tokenFileModeProblem checks nothing on Windows, which has no Unix modes", () => {
  assert.deepStrictEqual(tokenFileModeProblem(null, "windows"), undefined);
  assert.deepStrictEqual(tokenFileModeProblem(0o100666, "windows"), undefined);
  assert.deepStrictEqual(tokenFileModeProblem(null, "linux"), undefined);
});

Deno.test("parseTokenText takes one bearer token of 32 characters or more, trimmed", () => {
  assert.deepStrictEqual(parseTokenText(`${GOOD}\n`, "f"), GOOD);
  assert.deepStrictEqual(parseTokenText(`  ${GOOD}\r\n`, "f"), GOOD);
  const b64 = "q2xhc3NpYy1iYXNlNjQtdG9rZW4tb2YtbGVuZ3RoLTQ0==";
  assert.deepStrictEqual(parseTokenText(b64, "f"), b64);
  for (
    const bad of [
      "",
      "\n",
      "x".repeat(31),
      `${GOOD} ${GOOD}`,
      `${GOOD}"`,
      `${GOOD}é`,
    ]
  ) {
    assert.throws(() => parseTokenText(bad, "f"), UsageError, bad);
  }
});

Deno.test("readTokenFile reads a 0600 file and refuses a 0644 one", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/token`;
    Deno.writeTextFileSync(path, `${GOOD}\n`, { mode: 0o600 });
    Deno.chmodSync(path, 0o600);
    assert.deepStrictEqual(readTokenFile(path), GOOD);
    Deno.chmodSync(path, 0o644);
    // The Unix rule, asked for by name: on Windows the chmod does nothing
    // and the reported 0o666 is refused by it all the same.
    assert.throws(() => readTokenFile(path, "linux"), /chmod 600/);
    assert.deepStrictEqual(readTokenFile(path, "windows"), GOOD);
    assert.throws(() => readTokenFile(`${dir}/none`), UsageError);
    assert.throws(() => readTokenFile(dir), UsageError);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
