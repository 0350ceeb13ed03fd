/**
 * Tests of `deno task build` (scripts/build_cli.ts): the committed bundle in
 * `dist/cli/` matches the sources, and a stale, missing or extra file is
 * caught.
 *
 * @module
 */

import { assertEquals } from "./_assert.ts";
import { staleCliFiles } from "../scripts/build_cli.ts";

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
