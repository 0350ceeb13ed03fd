/**
 * Unit tests of the instance file formats and the atomic writer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertMode } from "../_harness/fs.ts";
import { writeFileAtomic } from "../../lib/shared/atomic_write.ts";
import {
  formatPortFile,
  formatRuntimeInfo,
  formatStartFailure,
  instanceOfFile,
  instancePaths,
  parsePortFile,
  parseRuntimeInfo,
  parseStartFailure,
  type RuntimeInfo,
  runtimeUrls,
} from "../../lib/shared/instance_files.ts";

Deno.test("the port file is the port and a newline", () => {
  assert.deepStrictEqual(formatPortFile(38124), "38124\n");
  assert.deepStrictEqual(parsePortFile("38124\n"), 38124);
  for (const bad of ["", "abc\n", "0\n", "70000\n", "12 34\n", "{}"]) {
    assert.deepStrictEqual(parsePortFile(bad), undefined, bad);
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
    runId: "0123456789abcdef0123456789abcdef",
    protocol: 1,
  };
  assert.deepStrictEqual(parseRuntimeInfo(formatRuntimeInfo(info)), info);
  assert.deepStrictEqual(parseRuntimeInfo('{"pid":1}'), undefined);
  assert.deepStrictEqual(parseRuntimeInfo("not json"), undefined);
});

Deno.test("URLs use 127.0.0.1 for loopback and all-interfaces binds, [::1] for ::1", () => {
  assert.deepStrictEqual(runtimeUrls("0.0.0.0", 5).url, "http://127.0.0.1:5");
  assert.deepStrictEqual(runtimeUrls("::1", 5).wsUrl, "ws://[::1]:5/ws");
});

Deno.test("[::] is advertised as 127.0.0.1 where it is dual-stack and as [::1] on Windows, where it is IPv6-only", () => {
  for (const os of ["linux", "darwin"]) {
    assert.deepStrictEqual(runtimeUrls("::", 5, os).url, "http://127.0.0.1:5");
  }
  assert.deepStrictEqual(runtimeUrls("::", 5, "windows"), {
    url: "http://[::1]:5",
    wsUrl: "ws://[::1]:5/ws",
  });
  assert.deepStrictEqual(
    runtimeUrls("0.0.0.0", 5, "windows").url,
    "http://127.0.0.1:5",
  );
});

Deno.test("instance files are recognised by name, other files are not", () => {
  assert.deepStrictEqual(
    instancePaths("/s/", "runtime").port,
    "/s/runtime.port",
  );
  assert.deepStrictEqual(instanceOfFile("runtime.lock"), "runtime");
  assert.deepStrictEqual(instanceOfFile(".runtime.port.123.tmp"), undefined);
  assert.deepStrictEqual(instanceOfFile("Upper.port"), undefined);
});

Deno.test("an atomic write leaves a 0600 file and no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    writeFileAtomic(`${dir}/a.port`, "1\n");
    writeFileAtomic(`${dir}/a.port`, "2\n");
    assert.deepStrictEqual(Deno.readTextFileSync(`${dir}/a.port`), "2\n");
    assertMode(`${dir}/a.port`, 0o600);
    assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "a.port",
    ]);
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
    assert.deepStrictEqual(Deno.readTextFileSync(`${dir}/outside`), "keep");
    assert(!Deno.lstatSync(`${dir}/a.port`).isSymlink);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the start failure file round-trips and rejects what is not one", () => {
  const failure = {
    at: "2026-12-03T14:00:00.000Z",
    exitCode: 3,
    message: "Cannot listen on :8080: port 8080 is in use",
    version: "0.1.0",
  };
  const text = formatStartFailure(failure);
  assert.deepStrictEqual(Object.keys(JSON.parse(text)), [
    "at",
    "exitCode",
    "message",
    "version",
  ]);
  assert.deepStrictEqual(parseStartFailure(text), failure);
  for (const bad of ["", "null", "[]", '{"at":"x","exitCode":"3"}', "{"]) {
    assert.deepStrictEqual(parseStartFailure(bad), undefined, bad);
  }
});

Deno.test("the error and log files are named in one place and belong to their instance", () => {
  const paths = instancePaths("/s", "web");
  assert.deepStrictEqual(
    [paths.error, paths.log, paths.oldLog],
    ["/s/web.error", "/s/web.log", "/s/web.log.1"],
  );
  for (const name of ["web.error", "web.log", "web.log.1"]) {
    assert.deepStrictEqual(instanceOfFile(name), "web", name);
  }
});
