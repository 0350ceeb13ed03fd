// Generated from lib/ by `deno task build` (scripts/build_cli.ts): do not edit.
var parseFlags = (function parseFlags(args, spec, aliases = {}) {
  const flags = {};
  const positionals = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      return {
        flags,
        positionals,
        rest: args.slice(i + 1)
      };
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const rawName = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? void 0 : arg.slice(eq + 1);
    const name = rawName.startsWith("--") ? rawName.slice(2) : aliases[rawName.slice(1)];
    const kind = name === void 0 ? void 0 : spec[name];
    if (name === void 0 || kind === void 0) {
      throw new UsageError(`Unknown flag "${rawName}": run with --help to see the flags`);
    }
    switch (kind) {
      case "boolean":
        if (inline !== void 0) {
          throw new UsageError(`Flag "--${name}" takes no value`);
        }
        flags[name] = true;
        break;
      case "optional": {
        const next = args[i + 1];
        if (inline !== void 0) flags[name] = inline;
        else if (next !== void 0 && !next.startsWith("-")) {
          flags[name] = next;
          i++;
        } else flags[name] = true;
        break;
      }
      case "string":
      case "list": {
        let value = inline;
        if (value === void 0) {
          value = args[++i];
          if (value === void 0) {
            throw new UsageError(`Flag "--${name}" needs a value`);
          }
        }
        if (kind === "list") {
          (flags[name] ??= []).push(value);
        } else flags[name] = value;
        break;
      }
    }
  }
  return {
    flags,
    positionals,
    rest: void 0
  };
});
var parseDuration = (function parseDuration(text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(`Invalid duration "${text}": use a number of seconds or a value like 500ms, 15s, 2m`);
  }
  const unit = {
    ms: 1,
    s: 1e3,
    m: 6e4,
    h: 36e5
  }[match[2] ?? "s"];
  return Math.round(Number(match[1]) * unit);
});
var parseInstanceName = (function parseInstanceName(name) {
  if (!INSTANCE_RE.test(name)) {
    throw new UsageError(`Invalid instance name "${name}": use 1-64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`);
  }
  return name;
});
var resolveInstance = (function resolveInstance(flag, env) {
  return parseInstanceName(flag ?? env(Env.instance) ?? DEFAULT_INSTANCE);
});
var resolveStateDir = (function resolveStateDir(flag, env) {
  const dir = flag ?? nonEmpty(env(Env.home));
  if (dir !== void 0) return dir;
  const home = nonEmpty(env("HOME")) ?? nonEmpty(env("USERPROFILE"));
  if (home === void 0) {
    throw new UsageError("Cannot find the home directory: set HOME or PRYX_HOME");
  }
  return `${home.replace(/[\\/]+$/, "")}/${STATE_DIR_NAME}`;
});
var nonEmpty = (function nonEmpty(value) {
  return value === void 0 || value === "" ? void 0 : value;
});
var instancePaths = (function instancePaths(stateDir, instance) {
  const dir = stateDir.length > 1 ? stateDir.replace(/\/+$/, "") : stateDir;
  const base = dir === "/" ? `/${instance}` : `${dir}/${instance}`;
  return {
    port: base + Suffix.port,
    json: base + Suffix.json,
    lock: base + Suffix.lock
  };
});
var instanceOfFile = (function instanceOfFile(fileName) {
  for (const suffix of Object.values(Suffix)) {
    if (fileName.endsWith(suffix)) {
      const name = fileName.slice(0, -suffix.length);
      try {
        return parseInstanceName(name);
      } catch {
        return void 0;
      }
    }
  }
  return void 0;
});
var parsePortFile = (function parsePortFile(text) {
  const match = /^\s*(\d{1,5})\s*$/.exec(text);
  if (match === null) return void 0;
  const port = Number(match[1]);
  return port >= 1 && port <= 65535 ? port : void 0;
});
var formatRuntimeInfo = (function formatRuntimeInfo(info) {
  return JSON.stringify(info, null, 2) + "\n";
});
var parseRuntimeInfo = (function parseRuntimeInfo(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return void 0;
  }
  if (typeof value !== "object" || value === null) return void 0;
  const v = value;
  const ok = Number.isInteger(v.pid) && Number.isInteger(v.port) && typeof v.hostname === "string" && typeof v.url === "string" && typeof v.wsUrl === "string" && typeof v.startedAt === "string" && typeof v.version === "string" && typeof v.instance === "string" && (v.token === void 0 || typeof v.token === "string");
  return ok ? v : void 0;
});
var runtimeUrls = (function runtimeUrls(hostname, port) {
  let host;
  if (hostname === "0.0.0.0" || hostname === "::" || hostname === "127.0.0.1") {
    host = "127.0.0.1";
  } else if (hostname.includes(":")) host = `[${hostname}]`;
  else host = hostname;
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/ws`
  };
});
var planDiscovery = (function planDiscovery(host, options = {}) {
  const env = host.env;
  const probeText = options.probe ?? nonEmpty2(env(Env.probePorts));
  return {
    override: parseOverride(env),
    stateDir: resolveStateDir(options.stateDir, env),
    instance: resolveInstance(options.instance, env),
    any: options.any ?? false,
    probePorts: probeText === void 0 ? [] : parsePorts(probeText),
    probeText,
    check: options.check ?? true,
    healthTimeoutMs: options.healthTimeoutMs ?? HEALTH_TIMEOUT_MS
  };
});
var discoverOnce = (async function discoverOnce(host, plan, onStale = () => {
}) {
  if (plan.override !== void 0) {
    const o = plan.override;
    const tried2 = [
      `${Env.apiUrl}=${o.url}`
    ];
    const runtime = {
      source: "env",
      ...o
    };
    if (!plan.check) return {
      runtime,
      tried: tried2
    };
    const result = await checkHealth(o.url, plan.healthTimeoutMs);
    if (!result.ok) {
      onStale(`${Env.apiUrl}=${o.url} is not a live ${SERVICE}: ${result.why}`);
      return {
        tried: tried2
      };
    }
    runtime.health = result.health;
    return {
      runtime,
      tried: tried2
    };
  }
  const tried = [];
  const named = await inspectInstance(host, plan, plan.instance);
  tried.push(instancePaths(plan.stateDir, plan.instance).port);
  if (named.state === "live") return {
    runtime: toRuntime(named),
    tried
  };
  if (named.state === "stale") onStale(staleMessage(named));
  const starting = named.state === "starting" || named.state === "stale" && plan.check && isHeld(host, instancePaths(plan.stateDir, plan.instance).lock) ? {
    starting: true
  } : {};
  if (plan.any) {
    tried.push(`the other instances of ${plan.stateDir}`);
    const others = (await instanceNames(host, plan.stateDir)).filter((n) => n !== plan.instance);
    const statuses = await Promise.all(others.map((name) => inspectInstance(host, plan, name)));
    for (const s of statuses) if (s.state === "stale") onStale(staleMessage(s));
    const live = statuses.find((s) => s.state === "live");
    if (live !== void 0) return {
      runtime: toRuntime(live),
      tried
    };
  }
  if (plan.probePorts.length > 0) {
    tried.push(`ports ${plan.probeText} on 127.0.0.1`);
    const runtime = await probePorts(host, plan);
    if (runtime !== void 0) return {
      runtime,
      tried
    };
  }
  return {
    tried,
    ...starting
  };
});
var discoverSettled = (async function discoverSettled(host, plan, onStale = () => {
}, graceMs = STARTING_GRACE_MS) {
  const seen = /* @__PURE__ */ new Set();
  const reportOnce = (message) => {
    if (!seen.has(message)) {
      seen.add(message);
      onStale(message);
    }
  };
  const outcome = await discoverOnce(host, plan, reportOnce);
  if (outcome.runtime !== void 0 || !outcome.starting) return outcome;
  return await waitForDiscovery(host, plan, graceMs, reportOnce);
});
var waitForDiscovery = (async function waitForDiscovery(host, plan, timeoutMs, onStale = () => {
}, signal) {
  const deadline = Date.now() + timeoutMs;
  const seen = /* @__PURE__ */ new Set();
  const reportOnce = (message) => {
    if (!seen.has(message)) {
      seen.add(message);
      onStale(message);
    }
  };
  const change = new ChangeSignal();
  signal?.addEventListener("abort", () => change.notify(), {
    once: true
  });
  let watcher;
  let watched;
  try {
    for (; ; ) {
      if (plan.override === void 0 && host.watch !== void 0) {
        const dir = await nearestExisting(host, plan.stateDir);
        if (dir !== watched) {
          watcher?.close();
          watcher = void 0;
          watched = dir;
          try {
            watcher = host.watch(dir, () => change.notify());
          } catch {
          }
        }
      }
      change.reset();
      const outcome = await discoverOnce(host, plan, reportOnce);
      const left = deadline - Date.now();
      if (outcome.runtime !== void 0 || left <= 0 || signal?.aborted) {
        return outcome;
      }
      await change.wait(Math.min(WAIT_POLL_MS, left));
    }
  } finally {
    watcher?.close();
    change.reset();
  }
});
var inspectInstance = (async function inspectInstance(host, plan, instance) {
  const paths = instancePaths(plan.stateDir, instance);
  const [portText, jsonText] = await Promise.all([
    host.readText(paths.port),
    host.readText(paths.json)
  ]);
  let held = null;
  const locked = () => {
    if (held !== null) return held;
    try {
      return held = host.isLocked?.(paths.lock);
    } catch {
      return held = void 0;
    }
  };
  const status = (state, path, reason) => ({
    instance,
    state,
    path,
    ...reason === void 0 ? {} : {
      reason
    }
  });
  if (portText === void 0 && jsonText === void 0) {
    return locked() ? status("starting", paths.lock, "the lock is held, no port file yet") : status("stopped", paths.lock, "no port file");
  }
  const info = jsonText === void 0 ? void 0 : parseRuntimeInfo(jsonText);
  if (jsonText !== void 0 && info === void 0) {
    return status("stale", paths.json, "it is not valid instance metadata");
  }
  const filePort = portText === void 0 ? void 0 : parsePortFile(portText);
  if (portText !== void 0 && filePort === void 0) {
    return status("stale", paths.port, "it does not hold a port number");
  }
  const port = filePort ?? info.port;
  const urls = info ?? runtimeUrls("127.0.0.1", port);
  const s = {
    ...status("live", portText === void 0 ? paths.json : paths.port),
    ...info === void 0 ? {} : {
      pid: info.pid,
      info
    },
    port,
    url: urls.url,
    wsUrl: urls.wsUrl
  };
  const owner = info === void 0 ? "its owner" : `its owner pid ${info.pid}`;
  if (portText === void 0) {
    return locked() === false ? {
      ...s,
      state: "stale",
      reason: `the lock is free: ${owner} is gone`
    } : {
      ...s,
      state: "starting",
      reason: "no port file yet"
    };
  }
  if (info !== void 0 && info.port !== filePort) {
    return {
      ...s,
      state: "stale",
      reason: `it says port ${filePort} but ${paths.json} says ${info.port}`
    };
  }
  if (!plan.check) return s;
  if (locked() === false) {
    return {
      ...s,
      state: "stale",
      reason: `the lock is free: ${owner} is gone`
    };
  }
  const result = await checkHealth(s.url, plan.healthTimeoutMs);
  if (!result.ok) return {
    ...s,
    state: "stale",
    reason: result.why
  };
  if (info !== void 0 && result.health.pid !== info.pid) {
    return {
      ...s,
      state: "stale",
      reason: `${s.url} is pid ${result.health.pid}, not ${owner}`
    };
  }
  return {
    ...s,
    health: result.health
  };
});
var instanceNames = (async function instanceNames(host, stateDir) {
  const entries = await host.readDir(stateDir) ?? [];
  const names = /* @__PURE__ */ new Set();
  for (const entry of entries) {
    const name = instanceOfFile(entry);
    if (name !== void 0) names.add(name);
  }
  return [
    ...names
  ].sort();
});
var checkHealth = (async function checkHealth(url, timeoutMs = HEALTH_TIMEOUT_MS) {
  let res;
  try {
    res = await fetch(`${url}/health`, {
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (err) {
    const timedOut = err instanceof DOMException && err.name === "TimeoutError";
    return {
      ok: false,
      why: timedOut ? `${url} did not answer within ${timeoutMs} ms` : `nothing answers at ${url}`
    };
  }
  let body;
  try {
    body = await res.json();
  } catch {
    body = void 0;
  }
  const h = body;
  if (typeof h !== "object" || h === null || h.service !== SERVICE) {
    return {
      ok: false,
      why: `${url} answers, but not as ${SERVICE}`
    };
  }
  if (h.status !== "ok" || !res.ok) {
    return {
      ok: false,
      why: `${url} is shutting down`
    };
  }
  return {
    ok: true,
    health: h
  };
});
var parsePorts = (function parsePorts(text) {
  const ports = [];
  const bad = (why) => new UsageError(`Invalid probe ports "${text}": ${why}; use a list like 3001,3002 or a range like 38124-38133`);
  for (const part of text.split(",")) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(part);
    if (m === null) throw bad(`"${part.trim()}" is not a port or range`);
    const from = Number(m[1]);
    const to = m[2] === void 0 ? from : Number(m[2]);
    if (from < 1 || to > 65535 || to < from) {
      throw bad(`"${part.trim()}" is outside 1-65535 or reversed`);
    }
    if (ports.length + (to - from + 1) > MAX_PROBE_PORTS) {
      throw bad(`more than ${MAX_PROBE_PORTS} ports`);
    }
    for (let p = from; p <= to; p++) ports.push(p);
  }
  return ports;
});
var staleMessage = (function staleMessage(s) {
  return `Skipping stale "${s.path}": ${s.reason}`;
});
var notFound = (function notFound(outcome, waitedMs, stale = []) {
  const what = waitedMs === void 0 ? "No live runtime found" : `No live runtime within ${formatMs(waitedMs)}`;
  const hint = outcome.starting ? "its owner holds the lock but is not ready; retry with --wait, or stop it" : `start one with "pryx-core serve" or "pryx-core run -- CMD"`;
  const skipped = stale.map((m) => `; ${m[0].toLowerCase()}${m.slice(1)}`);
  return new NotFoundError(`${what}: tried ${outcome.tried.join(", ")}${skipped.join("")}; ${hint}`);
});
var toRuntime = (function toRuntime(s) {
  return {
    source: "file",
    url: s.url,
    wsUrl: s.wsUrl,
    port: s.port,
    ...s.info?.token === void 0 ? {} : {
      token: s.info.token
    },
    ...s.info === void 0 ? {} : {
      info: s.info
    },
    ...s.health === void 0 ? {} : {
      health: s.health
    }
  };
});
var probePorts = (async function probePorts(host, plan) {
  const checks = plan.probePorts.map((port) => {
    const url = `http://127.0.0.1:${port}`;
    return checkHealth(url, plan.healthTimeoutMs).then((r) => ({
      port,
      url,
      r
    }));
  });
  for (const pending of checks) {
    const { port, url, r } = await pending;
    if (!r.ok) continue;
    const runtime = {
      source: "probe",
      url,
      wsUrl: runtimeUrls("127.0.0.1", port).wsUrl,
      port,
      health: r.health
    };
    const name = r.health.instance;
    if (name !== void 0 && instanceOfFile(`${name}.json`) === name) {
      const text = await host.readText(instancePaths(plan.stateDir, name).json);
      const info = text === void 0 ? void 0 : parseRuntimeInfo(text);
      if (info !== void 0 && info.pid === r.health.pid && info.port === port) {
        runtime.info = info;
        if (info.token !== void 0) runtime.token = info.token;
      }
    }
    return runtime;
  }
  return void 0;
});
var parseOverride = (function parseOverride(env) {
  const api = nonEmpty2(env(Env.apiUrl));
  const ws = nonEmpty2(env(Env.wsUrl));
  if (api === void 0 && ws === void 0) return void 0;
  const parse = (name, text, schemes) => {
    let url2;
    try {
      url2 = new URL(text);
    } catch {
      url2 = new URL("invalid:");
    }
    if (!schemes.includes(url2.protocol) || url2.host === "") {
      throw new UsageError(`Invalid ${name} "${text}": use ${schemes[0]}//HOST:PORT, or unset it`);
    }
    return url2;
  };
  const apiUrl = api === void 0 ? void 0 : parse(Env.apiUrl, api, [
    "http:",
    "https:"
  ]);
  const wsUrl = ws === void 0 ? void 0 : parse(Env.wsUrl, ws, [
    "ws:",
    "wss:"
  ]);
  const secure = apiUrl !== void 0 ? apiUrl.protocol === "https:" : wsUrl.protocol === "wss:";
  const base = apiUrl ?? wsUrl;
  const url = apiUrl === void 0 ? `${secure ? "https" : "http"}://${base.host}` : api.replace(/\/+$/, "");
  const token = nonEmpty2(env(Env.token));
  return {
    url,
    wsUrl: ws ?? `${secure ? "wss" : "ws"}://${base.host}/ws`,
    port: base.port === "" ? secure ? 443 : 80 : Number(base.port),
    ...token === void 0 ? {} : {
      token
    }
  };
});
var isHeld = (function isHeld(host, lockPath) {
  try {
    return host.isLocked?.(lockPath) ?? false;
  } catch {
    return false;
  }
});
var nearestExisting = (async function nearestExisting(host, dir) {
  let current = dir;
  for (; ; ) {
    if (await host.exists(current)) return current;
    const cut = current.replace(/\/+$/, "").lastIndexOf("/");
    if (cut < 0) return ".";
    if (cut === 0) return "/";
    current = current.slice(0, cut);
  }
});
var formatMs = (function formatMs(ms) {
  return ms % 1e3 === 0 ? `${ms / 1e3} s` : `${ms} ms`;
});
var nonEmpty2 = (function nonEmpty2(value) {
  return value === void 0 || value === "" ? void 0 : value;
});
var isInstanceLocked = (function isInstanceLocked(lockPath) {
  let file;
  try {
    file = Deno.openSync(lockPath, {
      read: true
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  try {
    if (file.tryLockSync(true)) {
      file.unlockSync();
      return false;
    }
    return true;
  } finally {
    file.close();
  }
});
var currentHost = (function currentHost() {
  return cached ??= "Deno" in globalThis ? Promise.resolve(denoHost()) : nodeHost();
});
var denoHost = (function denoHost() {
  return {
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch (err) {
        if (err instanceof Deno.errors.NotCapable) return void 0;
        throw err;
      }
    },
    readText: (path) => {
      try {
        return Promise.resolve(Deno.readTextFileSync(path));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(void 0);
        }
        throw unreadable(path, err);
      }
    },
    readDir: (dir) => {
      try {
        return Promise.resolve(Array.from(Deno.readDirSync(dir), (e) => e.name));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          return Promise.resolve(void 0);
        }
        throw unreadable(dir, err);
      }
    },
    exists: (path) => {
      try {
        Deno.statSync(path);
        return Promise.resolve(true);
      } catch {
        return Promise.resolve(false);
      }
    },
    isLocked: isInstanceLocked,
    watch: (dir, onChange) => {
      const watcher = Deno.watchFs(dir, {
        recursive: false
      });
      (async () => {
        try {
          for await (const _ of watcher) onChange();
        } catch {
        }
      })();
      return {
        close: () => {
          try {
            watcher.close();
          } catch {
          }
        }
      };
    }
  };
});
var nodeHost = (async function nodeHost() {
  const specifier = "node:fs/promises";
  const fs = await import(specifier);
  const proc = globalThis.process;
  const missing = (err) => err.code === "ENOENT" || err.code === "ENOTDIR";
  return {
    env: (name) => proc?.env[name],
    readText: async (path) => {
      try {
        return await fs.readFile(path, "utf8");
      } catch (err) {
        if (missing(err)) return void 0;
        throw unreadable(path, err);
      }
    },
    readDir: async (dir) => {
      try {
        return await fs.readdir(dir);
      } catch (err) {
        if (missing(err)) return void 0;
        throw unreadable(dir, err);
      }
    },
    exists: async (path) => {
      try {
        await fs.stat(path);
        return true;
      } catch {
        return false;
      }
    },
    watch: (dir, onChange) => {
      const controller = new AbortController();
      (async () => {
        try {
          for await (const _ of fs.watch(dir, {
            signal: controller.signal
          })) {
            onChange();
          }
        } catch {
        }
      })();
      return {
        close: () => controller.abort()
      };
    }
  };
});
var unreadable = (function unreadable(path, err) {
  if ("Deno" in globalThis && err instanceof Deno.errors.NotCapable) {
    return err;
  }
  return new StateDirError(`Cannot read "${path}": ${err.message.split("\n", 1)[0]}; check the permissions of the state directory or set PRYX_HOME`);
});
var discoverCommand = (async function discoverCommand(args) {
  const { flags, positionals, rest } = parseFlags(args, FLAGS, {
    h: "help",
    q: "quiet"
  });
  if (flags.help) {
    console.log(DISCOVER_USAGE);
    return 0;
  }
  if (positionals.length > 0 || rest !== void 0) {
    throw new UsageError(`Unexpected argument "${positionals[0] ?? "--"}": discover takes flags only`);
  }
  const format = resolveFormat(flags);
  const waitMs = flags.wait === void 0 ? void 0 : flags.wait === true ? DEFAULT_WAIT_MS : parseDuration(flags.wait);
  const host = await currentHost();
  const plan = planDiscovery(host, {
    instance: flags.instance,
    stateDir: flags["state-dir"],
    any: flags.any,
    probe: flags.probe,
    check: !flags["no-check"]
  });
  const stale = [];
  const report = (message) => stale.push(message);
  const outcome = waitMs === void 0 ? await discoverSettled(host, plan, report) : await waitForDiscovery(host, plan, waitMs, report);
  if (outcome.runtime === void 0) throw notFound(outcome, waitMs, stale);
  for (const message of stale) console.error(`pryx-core: ${message}`);
  if (!flags.quiet) writeStdout(formatRuntime(outcome.runtime, format));
  return 0;
});
var formatRuntime = (function formatRuntime(runtime, format) {
  switch (format) {
    case "port":
      return `${runtime.port}
`;
    case "url":
      return `${runtime.url}
`;
    case "ws":
      return `${runtime.wsUrl}
`;
    case "json":
      return runtime.info !== void 0 ? formatRuntimeInfo(runtime.info) : JSON.stringify({
        pid: runtime.health?.pid,
        port: runtime.port,
        hostname: new URL(runtime.url).hostname.replace(/^\[|\]$/g, ""),
        url: runtime.url,
        wsUrl: runtime.wsUrl,
        version: runtime.health?.version,
        instance: runtime.health?.instance,
        token: runtime.token
      }, null, 2) + "\n";
    case "env":
      return [
        `export ${Env.apiUrl}=${shellQuote(runtime.url)}`,
        `export ${Env.wsUrl}=${shellQuote(runtime.wsUrl)}`,
        ...runtime.token === void 0 ? [] : [
          `export ${Env.token}=${shellQuote(runtime.token)}`
        ]
      ].join("\n") + "\n";
  }
});
var shellQuote = (function shellQuote(value) {
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
});
var resolveFormat = (function resolveFormat(flags) {
  const chosen = [
    flags.format,
    flags.json ? "json" : void 0,
    flags.env ? "env" : void 0
  ].filter((f) => f !== void 0);
  if (chosen.length > 1) {
    throw new UsageError("Conflicting formats: give one of --format, --json and --env");
  }
  const format = chosen[0] ?? "port";
  if (!FORMATS.includes(format)) {
    throw new UsageError(`Invalid format "${format}": use ${FORMATS.join(", ")}`);
  }
  return format;
});
var writeStdout = (function writeStdout(text) {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length; ) {
    done += Deno.stdout.writeSync(bytes.subarray(done));
  }
});
// lib/errors.ts
var ExitCode = {
  /** Success. */
  Ok: 0,
  /** Nothing found, nothing running. */
  NotFound: 1,
  /** Usage error or bad input. */
  Usage: 2,
  /** Could not bind the listen address. */
  Bind: 3,
  /** The instance is already owned by a live process. */
  AlreadyRunning: 4,
  /** The state directory cannot be used. */
  StateDir: 5
};
var BRAND = Symbol.for("pryx-core.PryxError");
var PryxError = class extends Error {
  /** The process exit code for this error. */
  exitCode;
  /** See {@linkcode isPryxError}. */
  [BRAND] = true;
  /**
   * @param message One line, sentence case, no trailing period.
   * @param exitCode The exit code of SPEC section 7.
   */
  constructor(message, exitCode) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
};
var UsageError = class extends PryxError {
  /** @param message What was wrong and what to do. */
  constructor(message) {
    super(message, ExitCode.Usage);
  }
};
var StateDirError = class extends PryxError {
  /** @param message Which directory and what to do. */
  constructor(message) {
    super(message, ExitCode.StateDir);
  }
};
var NotFoundError = class extends PryxError {
  /** @param message What was tried. */
  constructor(message) {
    super(message, ExitCode.NotFound);
  }
};

// lib/args.ts

// lib/config.ts
var SERVICE = "pryx-core";
var DEFAULT_INSTANCE = "runtime";
var STATE_DIR_NAME = ".pryx";
var Env = {
  home: "PRYX_HOME",
  instance: "PRYX_INSTANCE",
  listen: "PRYX_LISTEN_ADDR",
  auth: "PRYX_AUTH",
  allowOrigins: "PRYX_ALLOW_ORIGINS",
  apiUrl: "PRYX_API_URL",
  wsUrl: "PRYX_WS_URL",
  token: "PRYX_TOKEN",
  probePorts: "PRYX_PROBE_PORTS"
};
var HEALTH_TIMEOUT_MS = 1e3;
var DEFAULT_WAIT_MS = 3e4;
var MAX_MESSAGE_BYTES = 1024 * 1024;
var INSTANCE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// lib/port_file.ts
var Suffix = {
  port: ".port",
  json: ".json",
  lock: ".lock"
};

// lib/discover.ts
var WAIT_POLL_MS = 200;
var STARTING_GRACE_MS = 2e3;
var MAX_PROBE_PORTS = 1024;
var ChangeSignal = class {
  #changed = false;
  #wake;
  #timer;
  notify() {
    this.#changed = true;
    this.#wake?.();
  }
  reset() {
    this.#changed = false;
    clearTimeout(this.#timer);
    this.#wake = void 0;
  }
  wait(ms) {
    if (this.#changed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
};

// lib/instance_lock.ts

// lib/_fs_shim.ts
var cached;

// lib/cmd_discover.ts
var DISCOVER_USAGE = `Usage: pryx-core discover [flags]

Print where a live runtime is. Looks at ${Env.apiUrl} / ${Env.wsUrl} (final
when set), then the instance's files in the state directory, then the
--probe ports; every candidate is verified with its lock and /health.

Flags:
  --format FORMAT     port (default: "PORT\\n"), url, ws, json, env
  --json, --env       shorthands for --format json / --format env
  --instance NAME     instance name (env ${Env.instance}; default runtime)
  --state-dir DIR     state directory (env ${Env.home}; default ~/.pryx)
  --any               take the first live instance when NAME is not live
  --probe PORTS       also probe 127.0.0.1 ports: 3001,3002 or 38124-38133
                      (env ${Env.probePorts})
  --wait [DURATION]   wait until one is live (default ${DEFAULT_WAIT_MS / 1e3}s; 15, 15s, 500ms, 2m)
  --no-check          trust the files without checking lock and /health
  -q, --quiet         print nothing; the exit code is the answer
  -h, --help          show this help

Exit codes: 0 found, 1 nothing live, 2 usage error.
`;
var FLAGS = {
  format: "string",
  json: "boolean",
  env: "boolean",
  instance: "string",
  "state-dir": "string",
  any: "boolean",
  probe: "string",
  wait: "optional",
  "no-check": "boolean",
  quiet: "boolean",
  help: "boolean"
};
var FORMATS = [
  "port",
  "url",
  "ws",
  "json",
  "env"
];
export {
  DISCOVER_USAGE,
  discoverCommand,
  formatRuntime,
  shellQuote
};
