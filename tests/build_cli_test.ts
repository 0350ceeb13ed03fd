/**
 * Tests of `deno task build` (scripts/build_cli.ts): the committed bundle in
 * `dist/cli/` matches the sources, and a stale, missing or extra file is
 * caught.
 *
 * @module
 */

import { assertEquals } from "./_assert.ts";
import { compileEagerly, staleCliFiles } from "../scripts/build_cli.ts";

const DIST = new URL("../dist/cli", import.meta.url).pathname;

Deno.test("the committed dist/cli/ is what deno task build makes of lib/", async () => {
  assertEquals(await staleCliFiles(DIST), []);
});

Deno.test("a changed, missing or extra bundle file is reported as stale", async () => {
  const copy = await Deno.makeTempDir({ prefix: "pryx-dist-" });
  try {
    for (const { name } of Deno.readDirSync(DIST)) {
      Deno.copyFileSync(`${DIST}/${name}`, `${copy}/${name}`);
    }
    Deno.writeTextFileSync(`${copy}/cli.js`, "// edited by hand\n", {
      append: true,
    });
    Deno.removeSync(`${copy}/cmd_stop.js`);
    Deno.writeTextFileSync(`${copy}/chunk-OLD.js`, "export {};\n");
    assertEquals(await staleCliFiles(copy), [
      "chunk-OLD.js",
      "cli.js",
      "cmd_stop.js",
    ]);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("compileEagerly wraps top-level functions and moves them where hoisting put them", async () => {
  const code = [
    'import { a } from "./a.js";',
    "import {",
    "  b",
    '} from "./b.js";',
    "// lib/x.ts",
    "var early = twice(2);",
    "function twice(n) {",
    "  function inner() {",
    "    return n;",
    "  }",
    "  return inner() * 2;",
    "}",
    "async function later() {",
    "  return await Promise.resolve(early);",
    "}",
    "function* gen() {",
    "  yield 1;",
    "}",
    "export { a, b, early, gen, later, twice };",
  ].join("\n");
  assertEquals(
    compileEagerly(code),
    [
      'import { a } from "./a.js";',
      "import {",
      "  b",
      '} from "./b.js";',
      "var twice = (function twice(n) {",
      "  function inner() {",
      "    return n;",
      "  }",
      "  return inner() * 2;",
      "});",
      "var later = (async function later() {",
      "  return await Promise.resolve(early);",
      "});",
      "var gen = (function* gen() {",
      "  yield 1;",
      "});",
      "// lib/x.ts",
      "var early = twice(2);",
      "export { a, b, early, gen, later, twice };",
    ].join("\n"),
  );
  // What runs is what ran before: the early call sees the hoisted function.
  const mod = await import(
    `data:text/javascript,${
      encodeURIComponent(compileEagerly(
        code.split("\n").slice(4).join("\n")
          .replace("export { a, b, ", "export { "),
      ))
    }`
  );
  assertEquals(mod.early, 4);
  assertEquals(await mod.later(), 4);
});

Deno.test("compileEagerly finds a function's end past a } line inside a template literal", () => {
  const code = [
    "function usage() {",
    "  return `a",
    "}",
    "function notHere() {",
    "}",
    "b`;",
    "}",
    "function here() {",
    "  return import.meta.url;",
    "}",
  ].join("\n");
  assertEquals(
    compileEagerly(code),
    [
      "var usage = (function usage() {",
      "  return `a",
      "}",
      "function notHere() {",
      "}",
      "b`;",
      "});",
      "var here = (function here() {",
      "  return import.meta.url;",
      "});",
      "",
    ].join("\n").trimEnd(),
  );
});

Deno.test("compileEagerly leaves a file alone when a function's end cannot be found", () => {
  const code = "function broken() {\n  return `\n}";
  assertEquals(compileEagerly(code), code);
});
