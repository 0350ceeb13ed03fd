/**
 * Unit tests of the listen-address parser (SPEC section 3).
 *
 * @module
 */

import { assertEquals, assertRejects } from "./_assert.ts";
import { UsageError } from "../lib/errors.ts";
import { parseListenAddr } from "../lib/listen_addr.ts";

Deno.test("an OS-assigned port is written :0, 0, 127.0.0.1:0 or [::1]:0", () => {
  for (const text of [":0", "0", "127.0.0.1:0", "localhost:0"]) {
    const addr = parseListenAddr(text);
    assertEquals([addr.hostname, addr.ports, addr.loopback], [
      "127.0.0.1",
      [0],
      true,
    ], text);
  }
  const v6 = parseListenAddr("[::1]:0");
  assertEquals([v6.hostname, v6.ports, v6.loopback], ["::1", [0], true]);
});

Deno.test("the legacy :3000 means any port, but a host-qualified 3000 is strict", () => {
  assertEquals(parseListenAddr(":3000").ports, [0]);
  assertEquals(parseListenAddr("127.0.0.1:3000").ports, [3000]);
  assertEquals(parseListenAddr("0.0.0.0:3000").ports, [3000]);
});

Deno.test("a host-less address means loopback, never all interfaces", () => {
  const addr = parseListenAddr(":8080");
  assertEquals([addr.hostname, addr.ports, addr.allInterfaces], ["127.0.0.1", [
    8080,
  ], false]);
});

Deno.test("a range lists its ports in order", () => {
  const addr = parseListenAddr("127.0.0.1:38124-38127");
  assertEquals([addr.ports, addr.isRange], [
    [38124, 38125, 38126, 38127],
    true,
  ]);
});

Deno.test("0.0.0.0 and [::] are all interfaces", () => {
  for (const text of ["0.0.0.0:8080", "[::]:8080"]) {
    const addr = parseListenAddr(text);
    assertEquals([addr.allInterfaces, addr.loopback], [true, false], text);
  }
});

Deno.test("malformed addresses are usage errors", async () => {
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
    await assertRejects(
      () => parseListenAddr(text),
      UsageError,
      "Cannot parse listen address",
    );
  }
});
