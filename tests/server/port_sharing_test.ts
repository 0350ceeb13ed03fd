/**
 * Unit tests of the OS-dependent bind checks (lib/server/port_sharing.ts):
 * which OS needs the wildcard-sharing probe, which addresses it probes,
 * and Windows' reserved ports.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  bindMayShareWithWildcard,
  classifyBindError,
  counterpartHeld,
  counterpartOf,
  reservedPortMessage,
  sharingProbes,
} from "../../lib/server/port_sharing.ts";

Deno.test("only macOS and Windows let a specific address share a port with a wildcard listener", () => {
  assert(!bindMayShareWithWildcard("linux"));
  assert(!bindMayShareWithWildcard("android"));
  assert(bindMayShareWithWildcard("darwin"));
  assert(bindMayShareWithWildcard("windows"));
  assert(bindMayShareWithWildcard("freebsd"));
});

Deno.test("the counterpart of a specific address is its family's wildcard, and of a wildcard its loopback", () => {
  assert.deepStrictEqual(counterpartOf("127.0.0.1"), "0.0.0.0");
  assert.deepStrictEqual(counterpartOf("192.168.1.5"), "0.0.0.0");
  assert.deepStrictEqual(counterpartOf("::1"), "::");
  assert.deepStrictEqual(counterpartOf("0.0.0.0"), "127.0.0.1");
  assert.deepStrictEqual(counterpartOf("::"), "::1");
});

Deno.test("the probes: none on Linux or for port 0; the IPv6 wildcard too on macOS, where [::] is dual-stack, not on Windows", () => {
  assert.deepStrictEqual(sharingProbes("127.0.0.1", 8080, "linux"), []);
  assert.deepStrictEqual(sharingProbes("127.0.0.1", 0, "darwin"), []);
  assert.deepStrictEqual(sharingProbes("127.0.0.1", 8080, "darwin"), [
    "0.0.0.0",
    "::",
  ]);
  assert.deepStrictEqual(sharingProbes("127.0.0.1", 8080, "windows"), [
    "0.0.0.0",
  ]);
  assert.deepStrictEqual(sharingProbes("::1", 8080, "darwin"), ["::"]);
  // A dual-stack [::] takes IPv4 too on macOS: another program's IPv4
  // listener on the port would get the published 127.0.0.1 URL's traffic.
  assert.deepStrictEqual(sharingProbes("::", 8080, "darwin"), [
    "::1",
    "127.0.0.1",
    "0.0.0.0",
  ]);
  assert.deepStrictEqual(sharingProbes("::", 8080, "windows"), ["::1"]);
  assert.deepStrictEqual(sharingProbes("::", 8080, "linux"), []);
  assert.deepStrictEqual(sharingProbes("0.0.0.0", 8080, "windows"), [
    "127.0.0.1",
  ]);
});

Deno.test("counterpartHeld says busy when a probe bind finds AddrInUse and ignores an address the machine lacks", () => {
  const held = (busy: string[]) => (h: string) => {
    if (busy.includes(h)) throw new Deno.errors.AddrInUse("in use");
    if (h === "::") throw new Deno.errors.AddrNotAvailable("no IPv6");
    return { close() {} };
  };
  assert(counterpartHeld("127.0.0.1", 8080, "darwin", held(["0.0.0.0"])));
  assert(!counterpartHeld("127.0.0.1", 8080, "darwin", held([])));
  assert(
    !counterpartHeld("127.0.0.1", 8080, "linux", () => assert.fail("no probe")),
  );
});

Deno.test("counterpartHeld finds a real listener that holds the wildcard of the port", () => {
  const other = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  try {
    const port = (other.addr as Deno.NetAddr).port;
    assert(counterpartHeld("127.0.0.1", port, "darwin"));
  } finally {
    other.close();
  }
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  assert(!counterpartHeld("127.0.0.1", port, "darwin"));
});

Deno.test("a Windows PermissionDenied bind is a reserved port, elsewhere it is an error to report", () => {
  const denied = new Deno.errors.PermissionDenied(
    "An attempt was made to access a socket in a way forbidden by its access permissions. (os error 10013)",
  );
  assert.deepStrictEqual(classifyBindError(denied, "windows"), "reserved");
  assert.deepStrictEqual(classifyBindError(denied, "linux"), "other");
  assert.deepStrictEqual(classifyBindError(denied, "darwin"), "other");
  const inUse = new Deno.errors.AddrInUse("in use");
  for (const os of ["linux", "darwin", "windows"] as const) {
    assert.deepStrictEqual(classifyBindError(inUse, os), "busy");
  }
  assert.match(
    reservedPortMessage("127.0.0.1:50000", 50000),
    /port 50000 is in a range Windows reserves or excludes \(os error 10013\).*netsh interface ipv4 show excludedportrange/,
  );
});

Deno.test("on macOS a [::] bind beside another program's IPv4 listener on the port counts as busy", () => {
  for (const held of ["127.0.0.1", "0.0.0.0"]) {
    const listen = (hostname: string) => {
      if (hostname === held) throw new Deno.errors.AddrInUse("in use");
      return { close() {} };
    };
    assert(counterpartHeld("::", 8080, "darwin", listen), held);
    assert(!counterpartHeld("::", 8080, "windows", listen), held);
  }
});
