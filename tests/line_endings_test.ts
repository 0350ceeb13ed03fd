/**
 * Line endings: `.gitattributes` makes every checkout use LF, on Windows
 * too (where `core.autocrlf` would turn them into CRLF and `deno fmt
 * --check`, the first step of `deno task test`, fails with "Text differed
 * by line endings": denoland/deno#11359), and no file in git has a CRLF.
 *
 * @module
 */

import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const ROOT = new URL("..", import.meta.url);

/** Runs git in the checkout; `undefined` where there is no git or no repository. */
function git(args: string[]): string | undefined {
  try {
    const out = new Deno.Command("git", {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * The text files of `names` under `base` (no NUL in their first 8 KiB)
 * that hold a CR LF.
 */
function withCrlf(base: URL, names: string[]): string[] {
  return names.filter((name) => {
    const bytes = Deno.readFileSync(new URL(name, base));
    const head = bytes.subarray(0, 8192);
    if (head.includes(0)) return false;
    for (let i = 1; i < bytes.length; i++) {
      if (bytes[i] === 0x0a && bytes[i - 1] === 0x0d) return true;
    }
    return false;
  });
}

const files = git(["ls-files", "-z"])?.split("\0").filter((f) => f !== "");

Deno.test({
  name: "git checks every text file out with LF, on every OS",
  ignore: files === undefined,
  fn: () => {
    for (const sample of ["main.ts", "README.md", ".github/workflows/ci.yml"]) {
      const attrs = git(["check-attr", "text", "eol", "--", sample]) ?? "";
      assert.match(attrs, /: text: (set|auto)\n/, sample);
      assert.match(attrs, /: eol: lf\n/, sample);
    }
  },
});

Deno.test({
  name: "no file in git has a CRLF line ending",
  ignore: files === undefined,
  fn: () => {
    assert.deepStrictEqual(withCrlf(ROOT, files!), []);
  },
});

Deno.test("the CRLF check finds one", () => {
  const dir = Deno.makeTempDirSync({ prefix: "pryx-crlf-" });
  try {
    Deno.writeTextFileSync(`${dir}/a.ts`, "const a = 1;\r\n");
    Deno.writeTextFileSync(`${dir}/b.ts`, "const b = 1;\n");
    Deno.writeFileSync(`${dir}/c.bin`, new Uint8Array([0, 13, 10]));
    const base = pathToFileURL(`${dir}/`);
    assert.deepStrictEqual(withCrlf(base, ["a.ts", "b.ts", "c.bin"]), [
      "a.ts",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
