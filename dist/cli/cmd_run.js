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
var unreadable = (function unreadable(path, err) {
  if ("Deno" in globalThis && err instanceof Deno.errors.NotCapable) {
    return err;
  }
  return new StateDirError(`Cannot read "${path}": ${err.message.split("\n", 1)[0]}; check the permissions of the state directory or set PRYX_HOME`);
});
var runCommand = (async function runCommand(args) {
  const { flags, positionals, rest } = parseFlags(args, FLAGS, {
    h: "help"
  });
  if (flags.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  const command = rest ?? positionals;
  if (positionals.length > 0 && rest !== void 0) {
    throw new UsageError(`Unexpected argument "${positionals[0]}" before "--": pryx-core run [flags] -- CMD ARGS...`);
  }
  if (command.length === 0) {
    throw new UsageError(`run needs a command: pryx-core run [flags] -- CMD ARGS...`);
  }
  const host = denoHost();
  const plan = {
    stateDir: resolveStateDir(flags["state-dir"], host.env),
    instance: resolveInstance(flags.instance, host.env),
    any: false,
    probePorts: [],
    check: true,
    healthTimeoutMs: HEALTH_TIMEOUT_MS
  };
  const timeoutMs = flags.timeout === void 0 ? START_TIMEOUT_MS : parseDuration(flags.timeout);
  if (!commandExists(command[0], host.env("PATH"))) {
    return notFoundCmd(command[0]);
  }
  const found = await discoverOnce(host, plan, report);
  let server;
  let runtime = found.runtime;
  if (runtime === void 0) {
    ({ server, runtime } = await startRuntime(plan, timeoutMs));
  }
  try {
    return await runChild(command, runtime);
  } finally {
    if (server !== void 0) await stopChild(server);
  }
});
var startRuntime = (async function startRuntime(plan, timeoutMs) {
  const host = denoHost();
  const [cmd, args] = serveCommandLine(plan.instance, plan.stateDir);
  const server = new Deno.Command(cmd, {
    args,
    // Never written, never closed by us: when this process dies, even by
    // SIGKILL, the kernel closes it and the runtime (--stop-on-eof) stops.
    stdin: "piped",
    stdout: "null",
    stderr: "inherit",
    // Its own process group: a Ctrl-C in the terminal reaches CMD, and run
    // stops the runtime once CMD is gone.
    detached: true
  }).spawn();
  const exited = new AbortController();
  let exitCode;
  server.status.then((s) => {
    exitCode = s.code;
    exited.abort();
  });
  const outcome = await waitForDiscovery(host, plan, timeoutMs, report, exited.signal);
  if (outcome.runtime !== void 0) {
    console.error(`pryx-core: Started runtime "${plan.instance}" at ${outcome.runtime.url}`);
    return {
      server,
      runtime: outcome.runtime
    };
  }
  if (exitCode === ExitCode.AlreadyRunning) {
    const theirs = await waitForDiscovery(host, plan, timeoutMs, report);
    if (theirs.runtime !== void 0) return {
      runtime: theirs.runtime
    };
    throw notFound(theirs, timeoutMs);
  }
  if (exitCode === void 0) {
    await stopChild(server);
    throw new PryxError(`The runtime did not become ready within ${timeoutMs / 1e3} s; see its messages above, or raise --timeout`, ExitCode.NotFound);
  }
  throw new PryxError(`The runtime exited with code ${exitCode} before it was ready; see its message above`, exitCode === 0 ? ExitCode.NotFound : exitCode);
});
var serveCommandLine = (function serveCommandLine(instance, stateDir) {
  const serveArgs = [
    "serve",
    "--instance",
    instance,
    "--state-dir",
    stateDir,
    "--quiet",
    "--stop-on-eof"
  ];
  if (Deno.build.standalone) return [
    Deno.execPath(),
    serveArgs
  ];
  const main = new URL(Deno.mainModule);
  const entry = main.protocol === "file:" ? decodeURIComponent(main.pathname) : main.href;
  return [
    Deno.execPath(),
    [
      "run",
      ...RUNTIME_PERMISSIONS,
      entry,
      ...serveArgs
    ]
  ];
});
var runChild = (async function runChild(command, runtime) {
  const [cmd, ...args] = command;
  const env = {
    [Env.apiUrl]: runtime.url,
    [Env.wsUrl]: runtime.wsUrl
  };
  if (runtime.token !== void 0) env[Env.token] = runtime.token;
  let child;
  try {
    child = new Deno.Command(cmd, {
      args,
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit"
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return notFoundCmd(cmd);
    if (err instanceof Deno.errors.PermissionDenied) {
      console.error(`pryx-core: Cannot run "${cmd}": permission denied; make it executable`);
      return 126;
    }
    throw err;
  }
  const forwards = FORWARDED.map((signal) => {
    const forward = () => {
      try {
        child.kill(signal);
      } catch {
      }
    };
    Deno.addSignalListener(signal, forward);
    return [
      signal,
      forward
    ];
  });
  try {
    const status = await child.status;
    return status.code;
  } finally {
    for (const [signal, forward] of forwards) {
      Deno.removeSignalListener(signal, forward);
    }
  }
});
var stopChild = (async function stopChild(child) {
  try {
    child.kill("SIGTERM");
  } catch {
  }
  let timer;
  const gone = await Promise.race([
    child.status.then(() => true),
    new Promise((r) => timer = setTimeout(() => r(false), STOP_TIMEOUT_MS))
  ]);
  clearTimeout(timer);
  if (!gone) {
    try {
      child.kill("SIGKILL");
    } catch {
    }
    await child.status;
  }
});
var commandExists = (function commandExists(cmd, path) {
  const candidates = cmd.includes("/") ? [
    cmd
  ] : (path ?? "").split(":").map((dir) => `${dir || "."}/${cmd}`);
  return candidates.some((file) => {
    try {
      return Deno.statSync(file).isFile;
    } catch {
      return false;
    }
  });
});
var notFoundCmd = (function notFoundCmd(cmd) {
  console.error(`pryx-core: Command not found: "${cmd}"; check the name and your PATH`);
  return 127;
});
var report = (function report(message) {
  console.error(`pryx-core: ${message}`);
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
var MAX_MESSAGE_BYTES = 1024 * 1024;
var RUNTIME_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run"
];
var INSTANCE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// lib/port_file.ts
var Suffix = {
  port: ".port",
  json: ".json",
  lock: ".lock"
};

// lib/discover.ts
var WAIT_POLL_MS = 200;
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

// lib/cmd_run.ts
var START_TIMEOUT_MS = 15e3;
var STOP_TIMEOUT_MS = 1e4;
var FORWARDED = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP"
];
var RUN_USAGE = `Usage: pryx-core run [flags] -- CMD [ARGS...]

Reuse the live runtime of the instance or start one, wait until it is ready,
then run CMD with ${Env.apiUrl} and ${Env.wsUrl} (and ${Env.token} with
token auth) set. When CMD exits, the runtime is stopped if run started it,
and run exits with CMD's code (127: CMD not found, 128+N: signal N).

Flags:
  --instance NAME    instance name (env ${Env.instance}; default runtime)
  --state-dir DIR    state directory (env ${Env.home}; default ~/.pryx)
  --timeout DURATION how long to wait for a new runtime (default ${START_TIMEOUT_MS / 1e3}s)
  -h, --help         show this help
`;
var FLAGS = {
  instance: "string",
  "state-dir": "string",
  timeout: "string",
  help: "boolean"
};
export {
  RUN_USAGE,
  START_TIMEOUT_MS,
  commandExists,
  runCommand,
  serveCommandLine
};
