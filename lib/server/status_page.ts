/**
 * `GET /`: the status page a person opens in a browser (SPEC 4). One
 * self-contained HTML document (inline CSS and script, no external asset)
 * that shows the instance, version, URL and uptime as the server renders
 * them, and the clients, leases, topics and event rate live over `/ws`
 * (the {@linkcode STATUS_TOPIC} events). No token is ever in the page: on
 * `--auth none` the page needs none, and under `--auth token` it says that
 * the live figures need the token and does not connect. Loaded lazily, on
 * the first request of the page.
 *
 * @module
 */

import { STATUS_TOPIC } from "../shared/protocol.ts";

/** What the server tells the page. */
export interface StatusPageView {
  /** The instance name. */
  instance: string;
  /** The pryx-core version. */
  version: string;
  /** The runtime's URL (as in `<instance>.json`). */
  url: string;
  /** Seconds since the process started, when the page was rendered. */
  uptimeSeconds: number;
  /** The runtime's `--auth`: under `token` the page does not go live. */
  auth: "none" | "token";
}

/** A rendered page: its HTML and the headers to send with it. */
export interface StatusPage {
  /** The document. */
  html: string;
  /**
   * `Content-Security-Policy` (only this page's own script and style, by
   * hash; connections only to this origin; no framing), `Cache-Control:
   * no-store`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`.
   */
  headers: Record<string, string>;
}

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 2rem auto; max-width: 40rem; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin-bottom: .25rem; }
h1 small { font-weight: normal; opacity: .7; }
#conn { margin-top: 0; font-size: .9rem; }
#conn.live { color: #1a7f37; }
#conn.down { color: #cf222e; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1.5rem; }
dt { opacity: .7; }
dd { margin: 0; font-variant-numeric: tabular-nums; }
.note { border-left: 3px solid #bf8700; padding-left: .75rem; }
footer { margin-top: 2rem; font-size: .85rem; opacity: .7; }
`;

// Runs in the browser: plain ES2020, no import, text only (textContent,
// never innerHTML), so a frame a client published on the status topic
// cannot inject markup.
const SCRIPT = `
(() => {
  "use strict";
  const view = JSON.parse(document.getElementById("view").textContent);
  const $ = (id) => document.getElementById(id);
  const duration = (seconds) => {
    let s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return (d ? d + " d " : "") + (d || h ? h + " h " : "") +
      (d || h || m ? m + " min " : "") + s + " s";
  };
  let uptime = view.uptimeSeconds;
  let uptimeAt = performance.now();
  const tick = () => {
    $("uptime").textContent = duration(uptime + (performance.now() - uptimeAt) / 1000);
  };
  tick();
  setInterval(tick, 1000);
  const conn = (text, cls) => {
    $("conn").textContent = text;
    $("conn").className = cls;
  };
  if (view.auth === "token") {
    conn("Not live: this runtime requires a token (--auth token)", "down");
    $("auth").hidden = false;
    return;
  }
  const count = (n) => typeof n === "number" && isFinite(n) ? String(n) : "?";
  let last;
  let delay = 500;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws");
    ws.onopen = () => {
      delay = 500;
      conn("Live", "live");
      ws.send(JSON.stringify({ type: "subscribe", topic: view.topic }));
    };
    ws.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      if (!msg || msg.type !== "event" || msg.topic !== view.topic) return;
      const s = msg.data;
      if (!s || typeof s !== "object") return;
      $("clients").textContent = count(s.clients);
      $("leases").textContent = count(s.leases);
      $("topics").textContent = count(s.topics);
      if (typeof s.uptimeSeconds === "number") {
        uptime = s.uptimeSeconds;
        uptimeAt = performance.now();
        tick();
      }
      if (last && s.uptimeSeconds > last.uptimeSeconds) {
        const dt = s.uptimeSeconds - last.uptimeSeconds;
        $("rate").textContent =
          ((s.published - last.published) / dt).toFixed(1) + " published/s, " +
          ((s.delivered - last.delivered) / dt).toFixed(1) + " delivered/s";
      }
      $("total").textContent = count(s.published) + " published, " +
        count(s.delivered) + " delivered";
      last = s;
    };
    ws.onclose = (event) => {
      last = undefined;
      conn(event.code === 1001
        ? "The runtime stopped; retrying"
        : "Disconnected; retrying", "down");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  connect();
})();
`;

/** The page's Content-Security-Policy, by the hashes of its script and style. */
let policy: Promise<string> | undefined;

/**
 * Renders the page for `view`.
 *
 * @returns The HTML and its headers (see {@linkcode StatusPage}).
 */
export async function renderStatusPage(
  view: StatusPageView,
): Promise<StatusPage> {
  policy ??= contentSecurityPolicy();
  const data = JSON.stringify({ ...view, topic: STATUS_TOPIC })
    .replace(/</g, "\\u003c");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pryx-core ${escapeHtml(view.instance)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>pryx-core <small id="instance">${escapeHtml(view.instance)}</small></h1>
<p id="conn">Connecting…</p>
<dl>
<dt>Version</dt><dd id="version">${escapeHtml(view.version)}</dd>
<dt>URL</dt><dd id="url">${escapeHtml(view.url)}</dd>
<dt>Uptime</dt><dd id="uptime"></dd>
<dt>WebSocket clients</dt><dd id="clients">–</dd>
<dt>Leases</dt><dd id="leases">–</dd>
<dt>Topics</dt><dd id="topics">–</dd>
<dt>Event rate</dt><dd id="rate">–</dd>
<dt>Events so far</dt><dd id="total">–</dd>
</dl>
<p id="auth" class="note" hidden>This runtime was started with
<code>--auth token</code>: its WebSocket bus needs the token from
<code>&lt;instance&gt;.json</code>, which this page never shows or asks for.
Read the figures with <code>curl -H "Authorization: Bearer $TOKEN" ${
    escapeHtml(view.url)
  }/metrics</code>.</p>
<footer>The clients include this page. For scripts: <code>/health</code>,
<code>/metrics</code> (Prometheus), <code>pryx-core list</code>.</footer>
</main>
<script type="application/json" id="view">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
  return {
    html,
    headers: {
      "Content-Security-Policy": await policy,
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
    },
  };
}

/** `&`, `<`, `>`, `"` and `'` as HTML character references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function contentSecurityPolicy(): Promise<string> {
  const [script, style] = await Promise.all([sha256(SCRIPT), sha256(STYLE)]);
  return [
    "default-src 'none'",
    `script-src 'sha256-${script}'`,
    `style-src 'sha256-${style}'`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The base64 SHA-256 of `text` as UTF-8, as CSP hash sources spell it. */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
