/**
 * A real headless browser for the tests of the status page: Debian's
 * `chromium`, started with a temp profile and driven over the Chrome
 * DevTools Protocol through one WebSocket (no dependency). Each browser
 * is this harness's own child, stopped by its pid in `close()`.
 *
 * @module
 */

import { killIfRunning } from "./process.ts";

/** How the tests find Chromium: `$CHROMIUM_BIN`, else these, first on disk. */
const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
];

/** The one line a test fails with when there is no Chromium. */
export const NO_CHROMIUM =
  "Chromium is not installed: run `apt-get install -y chromium` (Debian, Ubuntu) or set CHROMIUM_BIN to a Chrome or Chromium binary";

/**
 * `ignore:` value of the browser tests: on a CI runner (`CI` set) that has
 * no Chromium (GitHub's arm64 images have none), with a line saying so;
 * never elsewhere, where a missing Chromium fails the test with
 * {@linkcode NO_CHROMIUM} instead of passing unseen.
 */
export function browserIgnored(): boolean {
  if (Deno.env.get("CI") === undefined || findChromium() !== undefined) {
    return false;
  }
  console.error(
    `Not running the browser tests on this CI runner: ${NO_CHROMIUM}`,
  );
  return true;
}

/** The path of Chromium, or `undefined` when there is none. */
export function findChromium(): string | undefined {
  const given = Deno.env.get("CHROMIUM_BIN");
  for (const path of given ? [given] : CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

/** A page of the browser, attached over a DevTools session. */
export interface Page {
  /** Navigates and resolves once the load event fired (bounded). */
  goto(url: string): Promise<void>;
  /** Evaluates `expression` in the page (promises awaited) and returns its value. */
  evaluate<T>(expression: string): Promise<T>;
  /**
   * Evaluates `expression` until it returns a truthy value, every 50 ms,
   * for at most `timeoutMs`; returns that value or throws with `what`.
   */
  waitFor<T>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  /** The HTTP status of the last document navigated to. */
  status(): number | undefined;
}

/** A running headless browser. */
export interface Browser extends AsyncDisposable {
  /** Opens a new tab at `about:blank`. */
  newPage(): Promise<Page>;
  /** Stops the browser (by its pid) and removes its profile. */
  close(): Promise<void>;
}

/** Options of {@linkcode launchBrowser}. */
export interface LaunchOptions {
  /**
   * Host names the browser resolves to 127.0.0.1 (as a DNS-rebinding
   * attacker's name would), through `--host-resolver-rules`.
   */
  mapToLoopback?: string[];
}

/**
 * Starts headless Chromium with a fresh profile and connects to its
 * DevTools endpoint. Throws {@linkcode NO_CHROMIUM} when there is none.
 */
export async function launchBrowser(
  options: LaunchOptions = {},
): Promise<Browser> {
  const bin = findChromium();
  if (bin === undefined) throw new Error(NO_CHROMIUM);
  const profile = await Deno.makeTempDir({ prefix: "pryx-chromium-" });
  const rules = (options.mapToLoopback ?? []).map((h) => `MAP ${h} 127.0.0.1`);
  const args = [
    "--headless=new",
    "--remote-debugging-port=0",
    `--user-data-dir=${profile}`,
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-proxy-server",
    "--mute-audio",
    "--disable-breakpad",
    "--disable-crash-reporter",
    ...(rules.length > 0 ? [`--host-resolver-rules=${rules.join(", ")}`] : []),
    // It loads only the runtime's own page. Root (a container) cannot use
    // Chromium's user-namespace sandbox, nor can some CI images (Ubuntu
    // 24.04's AppArmor refuses unprivileged user namespaces).
    "--no-sandbox",
    "about:blank",
  ];
  const child = new Deno.Command(bin, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    killIfRunning(child, "SIGTERM");
    const timer = setTimeout(() => killIfRunning(child, "SIGKILL"), 3000);
    await child.status;
    clearTimeout(timer);
    await helpersGone(profile);
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  let endpoint: string;
  try {
    endpoint = await devToolsEndpoint(child.stderr, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  const cdp = await Cdp.open(endpoint);
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      cdp.close();
      await stop();
    })();
  return {
    newPage: () => openPage(cdp),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Waits (at most 5 s) until no process names `profile` on its command line
 * (Linux, `/proc`): Chromium's helper processes (zygote, renderer,
 * utility) exit on their own once the browser has, a moment later; the
 * test ends after them, not beside them. Elsewhere it returns at once.
 */
async function helpersGone(profile: string): Promise<void> {
  if (Deno.build.os !== "linux") return;
  const deadline = Date.now() + 5000;
  const mine = (): boolean => {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        if (
          Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).includes(profile)
        ) {
          return true;
        }
      } catch (err) {
        // Gone meanwhile, or not ours to read.
        if (
          !(err instanceof Deno.errors.NotFound ||
            err instanceof Deno.errors.PermissionDenied)
        ) throw err;
      }
    }
    return false;
  };
  while (mine() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads Chromium's stderr until it names its DevTools WebSocket. */
async function devToolsEndpoint(
  stderr: ReadableStream<Uint8Array>,
  timeoutMs: number,
): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => reader.cancel(), timeoutMs);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (m !== null) {
        // Keep draining stderr so Chromium never blocks on a full pipe.
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return m[1];
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`Chromium did not start its DevTools endpoint: ${seen}`);
}

type CdpEvent = {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
};

/** A DevTools connection: commands by id, events to listeners. */
class Cdp {
  #next = 1;
  readonly #pending = new Map<
    number,
    {
      resolve: (v: Record<string, unknown>) => void;
      reject: (e: Error) => void;
    }
  >();
  readonly #listeners = new Set<(e: CdpEvent) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data as string);
      if (typeof msg.id === "number") {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
        else p?.resolve(msg.result);
      } else {
        for (const l of [...this.#listeners]) l(msg);
      }
    };
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("CDP closed"));
      this.#pending.clear();
    };
  }

  static open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.ws.send(JSON.stringify({ id, method, params, sessionId }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`CDP ${method} timed out`)),
        15_000,
      );
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  on(listener: (e: CdpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.ws.close();
  }
}

async function openPage(cdp: Cdp): Promise<Page> {
  const { targetId } = await cdp.send("Target.createTarget", {
    url: "about:blank",
  });
  const { sessionId } = await cdp.send("Target.attachToTarget", {
    targetId,
    flatten: true,
  }) as { sessionId: string };
  let status: number | undefined;
  cdp.on((e) => {
    if (
      e.sessionId === sessionId && e.method === "Network.responseReceived" &&
      e.params.type === "Document"
    ) {
      status = (e.params.response as { status: number }).status;
    }
  });
  await cdp.send("Page.enable", {}, sessionId);
  await cdp.send("Network.enable", {}, sessionId);
  const evaluate = async <T>(expression: string): Promise<T> => {
    const res = await cdp.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    }, sessionId) as {
      result: { value?: T };
      exceptionDetails?: { text: string };
    };
    if (res.exceptionDetails) {
      throw new Error(`${expression}: ${JSON.stringify(res.exceptionDetails)}`);
    }
    return res.result.value as T;
  };
  return {
    async goto(url) {
      const loaded = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`${url} did not load`));
        }, 15_000);
        const off = cdp.on((e) => {
          if (e.sessionId === sessionId && e.method === "Page.loadEventFired") {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
      });
      status = undefined;
      await cdp.send("Page.navigate", { url }, sessionId);
      await loaded;
    },
    evaluate,
    async waitFor<T>(expression: string, what: string, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last: T | undefined;
      while (Date.now() < deadline) {
        last = await evaluate<T>(expression);
        if (last) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(
        `${what} not seen within ${timeoutMs} ms (last: ${
          JSON.stringify(last)
        })`,
      );
    },
    status: () => status,
  };
}
