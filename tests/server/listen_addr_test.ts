/**
 * Unit tests of the listen-address parser.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UsageError } from "../../lib/shared/errors.ts";
import { parseListenAddr } from "../../lib/server/listen_addr.ts";

Deno.test("an OS-assigned port is written :0, 0, 127.0.0.1:0 or [::1]:0", () => {
  for (const text of [":0", "0", "127.0.0.1:0", "localhost:0"]) {
    const addr = parseListenAddr(text);
    assert.deepStrictEqual([addr.hostname, addr.ports, addr.loopback], [
      "127.0.0.1",
      [0],
      true,
    ], text);
  }
  const v6 = parseListenAddr("[::1]:0");
  assert.deepStrictEqual([v6.hostname, v6.ports, v6.loopback], [
    "::1",
    [0],
    true,
  ]);
});

Deno.test("the legacy :3000 means any port, but a host-qualified 3000 is strict", () => {
  assert.deepStrictEqual(parseListenAddr(":3000").ports, [0]);
  assert.deepStrictEqual(parseListenAddr("127.0.0.1:3000").ports, [3000]);
  assert.deepStrictEqual(parseListenAddr("0.0.0.0:3000").ports, [3000]);
  assert.deepStrictEqual(
    [":3000", "127.0.0.1:3000", "3000", ":0"].map((t) =>
      parseListenAddr(t).legacyPort
    ),
    [true, false, false, false],
  );
});

Deno.test("a host-less address means loopback, never all interfaces", () => {
  const addr = parseListenAddr(":8080");
  assert.deepStrictEqual([addr.hostname, addr.ports, addr.allInterfaces], [
    "127.0.0.1",
    [
      8080,
    ],
    false,
  ]);
});

Deno.test("a range lists its ports in order", () => {
  const addr = parseListenAddr("127.0.0.1:38124-38127");
  assert.deepStrictEqual([addr.ports, addr.isRange], [
    [38124, 38125, 38126, 38127],
    true,
  ]);
});

Deno.test("0.0.0.0 and [::] are all interfaces", () => {
  for (const text of ["0.0.0.0:8080", "[::]:8080"]) {
    const addr = parseListenAddr(text);
    assert.deepStrictEqual(
      [addr.allInterfaces, addr.loopback],
      [true, false],
      text,
    );
  }
});

Deno.test("malformed addresses are usage errors", () => {
  for (
    const text of [
      "abc",
      ":99999",
      ":-1",
      "1.2.3.4.5:80",
      "127.0.0.1:50-40",
      "[::1",
      "[::1]",
      "example.com:80",
      "",
      ":",
      "::1:80",
      "256.0.0.1:80",
      ":0-10",
      ":12-",
      ":1-2-3",
      ":1-70000",
      ": 80",
      ":８０",
      "01.2.3.4:80",
      "1.2.3:80",
      "1..2.3:80",
    ]
  ) {
    assert.throws(
      () => parseListenAddr(text),
      (err: unknown) =>
        err instanceof UsageError &&
        err.message.includes("Cannot parse listen address"),
    );
  }
});

Deno.test("unix:PATH is a usage error that names the socket every runtime has", () => {
  for (const text of ["unix:/tmp/pryx.sock", "UNIX:/tmp/pryx.sock", "unix:"]) {
    assert.throws(
      () => parseListenAddr(text),
      (err: Error) =>
        err instanceof UsageError &&
        /not supported yet; every runtime also serves on its socket/.test(
          err.message,
        ) && /--format socket/.test(err.message),
    );
  }
});
