/**
 * Unit tests of the instance file formats and the atomic writer.
 *
 * @module
 */

import { assert, assertEquals } from "./_assert.ts";
import { writeFileAtomic } from "../lib/atomic_write.ts";
import {
  formatPortFile,
  formatRuntimeInfo,
  instanceOfFile,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  type RuntimeInfo,
  runtimeUrls,
} from "../lib/port_file.ts";

Deno.test("the port file is the port and a newline", () => {
  assertEquals(formatPortFile(38124), "38124\n");
  assertEquals(parsePortFile("38124\n"), 38124);
  for (const bad of ["", "abc\n", "0\n", "70000\n", "12 34\n", "{}"]) {
    assertEquals(parsePortFile(bad), undefined, bad);
  }
});

Deno.test("the metadata file round-trips and rejects incomplete records", () => {
  const info: RuntimeInfo = {
    pid: 1,
    port: 2,
    hostname: "127.0.0.1",
    ...runtimeUrls("127.0.0.1", 2),
    startedAt: new Date(0).toISOString(),
    version: "0.1.0",
    instance: "runtime",
  };
  assertEquals(parseRuntimeInfo(formatRuntimeInfo(info)), info);
  assertEquals(parseRuntimeInfo('{"pid":1}'), undefined);
  assertEquals(parseRuntimeInfo("not json"), undefined);
});

Deno.test("URLs use 127.0.0.1 for loopback and all-interfaces binds, [::1] for ::1", () => {
  assertEquals(runtimeUrls("0.0.0.0", 5).url, "http://127.0.0.1:5");
  assertEquals(runtimeUrls("::1", 5).wsUrl, "ws://[::1]:5/ws");
});

Deno.test("instance files are recognised by name, other files are not", () => {
  assertEquals(instancePaths("/s/", "runtime").port, "/s/runtime.port");
  assertEquals(instanceOfFile("runtime.lock"), "runtime");
  assertEquals(instanceOfFile(".runtime.port.123.tmp"), undefined);
  assertEquals(instanceOfFile("Upper.port"), undefined);
});

Deno.test("an atomic write leaves a 0600 file and no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    writeFileAtomic(`${dir}/a.port`, "1\n");
    writeFileAtomic(`${dir}/a.port`, "2\n");
    assertEquals(Deno.readTextFileSync(`${dir}/a.port`), "2\n");
    assertEquals(Deno.statSync(`${dir}/a.port`).mode! & 0o777, 0o600);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["a.port"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an atomic write replaces a symlink instead of writing through it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    Deno.writeTextFileSync(`${dir}/outside`, "keep");
    Deno.symlinkSync(`${dir}/outside`, `${dir}/a.port`);
    writeFileAtomic(`${dir}/a.port`, "1\n");
    assertEquals(Deno.readTextFileSync(`${dir}/outside`), "keep");
    assert(!Deno.lstatSync(`${dir}/a.port`).isSymlink);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
