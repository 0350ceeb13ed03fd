/**
 * The status page (`GET /`, SPEC 4) in a real headless browser: Chromium
 * renders the live figures over `/ws` (a count changes when a client
 * connects), shows no token, and a page reached by a foreign name (DNS
 * rebinding, mapped to 127.0.0.1 in the browser) or a script of a foreign
 * origin gets nothing. Without Chromium the test fails with the one line
 * that says how to install it (`.ci/run` installs it); only on a CI runner
 * (`CI` set) without one is it not run, with that line on stderr.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connectWs, withServer } from "../_harness/cli.ts";
import {
  browserIgnored,
  launchBrowser,
  NO_CHROMIUM,
} from "../_harness/browser.ts";

const EVIL = "rebind.evil.test";

const IGNORE = browserIgnored();

Deno.test({
  name:
    "in Chromium the status page shows the live figures, a count changes when a client connects, and no token",
  ignore: IGNORE,
  fn: () =>
    withServer([], async (server, home) => {
      await using browser = await launchBrowser();
      const page = await browser.newPage();
      const base = `http://127.0.0.1:${server.port}`;
      await page.goto(`${base}/`);
      assert.strictEqual(page.status(), 200);
      const text = (id: string) =>
        `document.getElementById(${JSON.stringify(id)}).textContent`;
      await page.waitFor(`${text("conn")} === "Live"`, "the page going live");
      // The page itself is the one client.
      await page.waitFor(`${text("clients")} === "1"`, "clients 1");
      assert.strictEqual(await page.evaluate(text("instance")), "runtime");
      assert.strictEqual(await page.evaluate(text("url")), base);
      assert.match(await page.evaluate<string>(text("uptime")), /\d+ s$/);
      const other = await connectWs(`ws://127.0.0.1:${server.port}/ws`);
      try {
        other.ws.send(JSON.stringify({ type: "lease", id: "seen" }));
        await other.next();
        other.ws.send(JSON.stringify({ type: "subscribe", topic: "t", id: 1 }));
        await other.next();
        await page.waitFor(
          `${text("clients")} === "2" && ${text("leases")} === "1"`,
          "clients 2 and leases 1",
        );
        const res = await fetch(`${base}/publish/t`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "1",
        });
        await res.body?.cancel();
        await page.waitFor(
          `${text("total")}.startsWith("1 published")`,
          "one event published",
        );
        await page.waitFor(
          `/published\\/s/.test(${text("rate")})`,
          "an event rate",
        );
      } finally {
        other.ws.close();
      }
      await page.waitFor(`${text("clients")} === "1"`, "clients back to 1");
      const token = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`))
        .token as string;
      const html = await page.evaluate<string>(
        "document.documentElement.outerHTML",
      );
      assert(html.includes("pryx-core"), "the page rendered");
      assert(!html.includes(token), "the token is not in the rendered page");
    }),
});

Deno.test({
  name:
    "in Chromium a foreign Host gets 403 and no page, and a foreign origin's script reaches neither the page nor /ws",
  ignore: IGNORE,
  fn: () =>
    withServer([], async (server) => {
      await using browser = await launchBrowser({ mapToLoopback: [EVIL] });
      const page = await browser.newPage();
      // The rebinding attack: the attacker's name now resolves to 127.0.0.1.
      await page.goto(`http://${EVIL}:${server.port}/`);
      assert.strictEqual(page.status(), 403);
      const body = await page.evaluate<string>("document.body.innerText");
      assert.match(body, /forbidden_host/);
      assert.strictEqual(
        await page.evaluate("document.getElementById('clients')"),
        null,
      );
      // From that foreign origin, a script asks the runtime by its own address.
      const fetched = await page.evaluate<string>(
        `fetch("http://127.0.0.1:${server.port}/").then((r) => "read " + r.status, () => "refused")`,
      );
      assert.strictEqual(fetched, "refused");
      const ws = await page.evaluate<string>(
        `new Promise((resolve) => {
        const ws = new WebSocket("ws://127.0.0.1:${server.port}/ws");
        ws.onopen = () => resolve("open");
        ws.onerror = () => resolve("refused");
      })`,
      );
      assert.strictEqual(ws, "refused");
    }),
});

Deno.test("without Chromium the browser tests fail with the one line that says how to install it", async () => {
  const before = Deno.env.get("CHROMIUM_BIN");
  Deno.env.set("CHROMIUM_BIN", "/nonexistent/chromium");
  try {
    await assert.rejects(launchBrowser(), (err: Error) => {
      assert.strictEqual(err.message, NO_CHROMIUM);
      assert.match(err.message, /apt-get install -y chromium/);
      assert(!err.message.includes("\n"), "one line");
      return true;
    });
  } finally {
    if (before === undefined) Deno.env.delete("CHROMIUM_BIN");
    else Deno.env.set("CHROMIUM_BIN", before);
  }
});
