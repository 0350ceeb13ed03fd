/**
 * Unit tests of `lib/server/security.ts`: the Host and Origin predicates, origin
 * parsing, token generation, token extraction and comparison.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  generateToken,
  isHostAllowed,
  isOriginAllowed,
  normaliseAllowedHost,
  normaliseOrigin,
  presentedToken,
  timingSafeEqual,
} from "../../lib/server/security.ts";

const NONE: ReadonlySet<string> = new Set();

Deno.test("isHostAllowed accepts localhost, 127.0.0.1, [::1] and *.localhost with or without a port", () => {
  for (
    const host of [
      "localhost",
      "localhost:8080",
      "LocalHost:1",
      "127.0.0.1",
      "127.0.0.1:38124",
      "[::1]",
      "[::1]:65535",
      "app.localhost",
      "App.LocalHost:5173",
      "a.b-c.localhost:1",
    ]
  ) {
    assert(isHostAllowed(host), `${host} should pass`);
  }
});

Deno.test("isHostAllowed refuses missing, empty, foreign and look-alike hosts", () => {
  for (
    const host of [
      null,
      "",
      " ",
      "evil.example",
      "evil.example:8080",
      "localhost.evil.example",
      "localhost.",
      "127.0.0.1.nip.io",
      "127.0.0.1.evil.example:80",
      "127.0.0.2",
      "-x.localhost",
      ".localhost",
      "a..localhost",
      "app.localhost.",
      "app_x.localhost",
      "localhost.localhost.evil.example",
      "0.0.0.0",
      "::1",
      "[::1",
      "[::2]:80",
      "localhost:",
      "localhost:http",
      "localhost:80:80",
      "user@localhost",
      "localhost@evil.example",
      " localhost",
      "localhost /",
      "2130706433",
    ]
  ) {
    assert(!isHostAllowed(host), `${JSON.stringify(host)} should fail`);
  }
});

Deno.test("isHostAllowed accepts the bound address and the --allow-host names, with or without a port", () => {
  const allowed = new Set(["127.0.0.2", "host.docker.internal", "[::1]"]);
  for (
    const host of [
      "127.0.0.2",
      "127.0.0.2:4000",
      "host.docker.internal",
      "HOST.docker.internal:80",
    ]
  ) {
    assert(isHostAllowed(host, allowed), `${host} should pass`);
  }
  for (
    const host of ["127.0.0.3", "docker.internal", "x.host.docker.internal"]
  ) {
    assert(!isHostAllowed(host, allowed), `${host} should fail`);
  }
});

Deno.test("normaliseAllowedHost takes names and IP literals, never ports, URLs or wildcards", () => {
  assert.deepStrictEqual(
    ["Host.Docker.Internal", " app.test ", "127.0.0.2", "::1", "[::1]"].map(
      normaliseAllowedHost,
    ),
    ["host.docker.internal", "app.test", "127.0.0.2", "[::1]", "[::1]"],
  );
  for (
    const bad of [
      "",
      "app.test:80",
      "http://app.test",
      "*.test",
      "a b",
      "[::1]:80",
      "user@x",
    ]
  ) {
    assert.deepStrictEqual(normaliseAllowedHost(bad), undefined, bad);
  }
});

Deno.test("isOriginAllowed lets a request without Origin through", () => {
  assert(isOriginAllowed(null, NONE));
});

Deno.test("isOriginAllowed accepts loopback origins on any port", () => {
  for (
    const origin of [
      "http://localhost",
      "http://localhost:5173",
      "http://127.0.0.1:3000",
      "http://[::1]:8080",
      "https://localhost:8443",
    ]
  ) {
    assert(isOriginAllowed(origin, NONE), `${origin} should pass`);
  }
});

Deno.test("isOriginAllowed refuses null, foreign and look-alike origins", () => {
  for (
    const origin of [
      "null",
      "",
      "http://evil.example",
      "https://evil.example:5173",
      "http://localhost.evil.example",
      "http://localhost.evil.example:5173",
      "http://127.0.0.1.nip.io",
      "http://evil.localhost",
      "http://localhost@evil.example",
      "http://localhost:5173.evil.example",
      "ws://localhost:5173",
      "file://",
      "chrome-extension://abcdef",
      "localhost:5173",
      "http://localhost:5173/",
    ]
  ) {
    assert(!isOriginAllowed(origin, NONE), `${origin} should fail`);
  }
});

Deno.test("isOriginAllowed accepts exactly the listed origins", () => {
  const allowed = new Set(["https://app.example"]);
  assert(isOriginAllowed("https://app.example", allowed));
  for (
    const origin of [
      "http://app.example",
      "https://app.example:8443",
      "https://sub.app.example",
      "https://app.example.evil.example",
      "null",
    ]
  ) {
    assert(!isOriginAllowed(origin, allowed), `${origin} should fail`);
  }
});

Deno.test("normaliseOrigin turns a flag value into scheme://host[:port]", () => {
  assert.deepStrictEqual(
    normaliseOrigin("https://app.example"),
    "https://app.example",
  );
  assert.deepStrictEqual(
    normaliseOrigin("https://App.Example/"),
    "https://app.example",
  );
  assert.deepStrictEqual(
    normaliseOrigin("https://app.example:443"),
    "https://app.example",
  );
  assert.deepStrictEqual(
    normaliseOrigin("http://localhost:5173"),
    "http://localhost:5173",
  );
});

Deno.test("normaliseOrigin refuses values that are not an http(s) origin", () => {
  for (
    const value of [
      "",
      "*",
      "null",
      "app.example",
      "https://app.example/path",
      "https://app.example/?q=1",
      "https://app.example/#x",
      "https://user@app.example",
      "file:///etc/passwd",
      "ws://app.example",
      "javascript:alert(1)",
    ]
  ) {
    assert.deepStrictEqual(normaliseOrigin(value), undefined, value);
  }
});

Deno.test("generateToken makes base64url tokens of at least 192 bits", () => {
  const token = generateToken();
  assert(token.length >= 32, `token of ${token.length} characters`);
  // 6 bits per base64url character: 43 characters carry 256 bits.
  assert(token.length * 6 >= 192);
  assert.match(token, /^[A-Za-z0-9_-]+$/);
});

Deno.test("generateToken never repeats itself", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(generateToken());
  assert.deepStrictEqual(seen.size, 1000);
});

Deno.test("presentedToken reads an Authorization Bearer header", () => {
  const req = new Request("http://127.0.0.1/info", {
    headers: { Authorization: "Bearer abc_DEF-123" },
  });
  assert.deepStrictEqual(presentedToken(req, false), "abc_DEF-123");
  const lower = new Request("http://127.0.0.1/info", {
    headers: { Authorization: "bearer xyz" },
  });
  assert.deepStrictEqual(presentedToken(lower, false), "xyz");
});

Deno.test("presentedToken reads ?token= only where the query is allowed", () => {
  const req = new Request("http://127.0.0.1/ws?token=q1");
  assert.deepStrictEqual(presentedToken(req, true), "q1");
  assert.deepStrictEqual(presentedToken(req, false), undefined);
});

Deno.test("presentedToken finds nothing in a malformed Authorization header", () => {
  for (const auth of ["Basic abc", "Bearer", "Bearer ", "abc", "Bearer a b"]) {
    const req = new Request("http://127.0.0.1/ws?token=q1", {
      headers: { Authorization: auth },
    });
    assert.deepStrictEqual(presentedToken(req, true), undefined, auth);
  }
});

Deno.test("timingSafeEqual is true only for identical strings", () => {
  const token = generateToken();
  assert(timingSafeEqual(token, token));
  assert(timingSafeEqual("", ""));
  assert(!timingSafeEqual(token, token.slice(0, -1)));
  assert(!timingSafeEqual(token, token + "A"));
  assert(!timingSafeEqual(token, ""));
  assert(!timingSafeEqual("", token));
  assert(
    !timingSafeEqual(token, (token[0] === "x" ? "y" : "x") + token.slice(1)),
  );
  assert(!timingSafeEqual(token, token.slice(0, -1) + "!"));
  // Same bytes repeated must not pass for a shorter secret.
  assert(!timingSafeEqual("abab", "ab"));
  assert(!timingSafeEqual("ab", "abab"));
  assert(!timingSafeEqual("é", "e"));
});
