/**
 * Black-box tests of `GET /` (SPEC 4) without a browser: the page a real
 * runtime serves (self-contained, no token, its security headers), the
 * Host and Origin rules, and the `runtime.status` events the page lives
 * on. The same page in headless Chromium is in
 * `status_page_browser_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectWs, withServer } from "../_harness/cli.ts";
import { mustRequest } from "../_harness/raw_http.ts";
import { VERSION } from "../../lib/shared/config.ts";
import { STATUS_TOPIC } from "../../lib/shared/protocol.ts";

function token(home: string): string {
  return JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`)).token;
}

Deno.test("GET / is a self-contained status page with the instance, version and URL, and no token", () =>
  withServer(["--instance", "web"], async (server, home) => {
    const res = await mustRequest(server.port, { path: "/" });
    assert.strictEqual(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const html = res.body;
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<small id="instance">web<\/small>/);
    assert.match(html, new RegExp(`<dd id="version">${VERSION}</dd>`));
    assert.match(
      html,
      new RegExp(`<dd id="url">http://127.0.0.1:${server.port}</dd>`),
    );
    const secret = JSON.parse(Deno.readTextFileSync(`${home}/web.json`)).token;
    assert(!html.includes(secret), "the token is not in the page");
    // No external asset: nothing is loaded from anywhere but inline.
    assert.doesNotMatch(html, /\s(?:src|href)=/i);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.strictEqual(res.headers.get("x-frame-options"), "DENY");
    assert.strictEqual(res.headers.get("cache-control"), "no-store");
    // The hashes are those of the page's own script and style.
    const digest = async (text: string) =>
      btoa(String.fromCharCode(
        ...new Uint8Array(
          await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
        ),
      ));
    const script = /<script>([^]*?)<\/script>/.exec(html)![1];
    const style = /<style>([^]*?)<\/style>/.exec(html)![1];
    assert(csp.includes(`'sha256-${await digest(script)}'`), "script hash");
    assert(csp.includes(`'sha256-${await digest(style)}'`), "style hash");
    assert.strictEqual(
      (await mustRequest(server.port, { method: "HEAD", path: "/" })).status,
      200,
    );
    assert.strictEqual(
      (await mustRequest(server.port, { method: "POST", path: "/" })).status,
      405,
    );
  }, { instance: "web" }));

Deno.test("GET / with a foreign Host or a foreign Origin gets 403 and no page; a loopback Origin gets the page", () =>
  withServer([], async (server) => {
    const { port } = server;
    for (
      const req of [
        { host: "evil.example" },
        { host: `evil.example:${port}` },
        { host: "" },
        { headers: [["Origin", "http://evil.example"]] as [string, string][] },
        {
          headers: [["Origin", `http://evil.example:${port}`]] as [
            string,
            string,
          ][],
        },
        { headers: [["Origin", "null"]] as [string, string][] },
      ]
    ) {
      const res = await mustRequest(port, { path: "/", ...req });
      assert.strictEqual(res.status, 403, JSON.stringify(req));
      assert.doesNotMatch(
        res.body,
        /<html|pryx-core runtime/,
        JSON.stringify(req),
      );
    }
    const own = await mustRequest(port, {
      path: "/",
      headers: [["Origin", `http://127.0.0.1:${port}`]],
    });
    assert.strictEqual(own.status, 200);
    const named = await mustRequest(port, {
      path: "/",
      host: `localhost:${port}`,
    });
    assert.strictEqual(named.status, 200);
  }));

Deno.test("with --auth token, GET / says the live figures need the token, and shows none", () =>
  withServer(["--auth", "token"], async (server, home) => {
    const res = await mustRequest(server.port, { path: "/" });
    assert.strictEqual(res.status, 200);
    assert.match(res.body, /"auth":"token"/);
    assert.match(res.body, /--auth token/);
    assert(!res.body.includes(token(home)), "the token is not in the page");
  }));

Deno.test("a runtime.status subscriber gets the figures at once and again each second, following clients", () =>
  withServer([], async (server) => {
    const url = `ws://127.0.0.1:${server.port}/ws`;
    const page = await connectWs(url);
    const other = await connectWs(url);
    try {
      page.ws.send(JSON.stringify({ type: "subscribe", topic: STATUS_TOPIC }));
      const first = await page.next();
      assert.strictEqual(first.type, "event");
      assert.strictEqual(first.topic, STATUS_TOPIC);
      const data = first.data as Record<string, number>;
      assert.strictEqual(data.clients, 2);
      assert.strictEqual(data.leases, 0);
      assert.strictEqual(data.topics, 1);
      assert.strictEqual(data.published, 0);
      assert(data.uptimeSeconds > 0, "uptime");
      other.ws.send(JSON.stringify({ type: "lease", id: "x" }));
      await other.next();
      const second = (await page.next()).data as Record<string, number>;
      assert.strictEqual(second.leases, 1);
      assert(
        second.uptimeSeconds >= data.uptimeSeconds + 0.5,
        "a second later",
      );
    } finally {
      page.ws.close();
      other.ws.close();
    }
  }));
