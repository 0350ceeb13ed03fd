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
var stopCommand = (async function stopCommand(args) {
  const { flags, positionals, rest } = parseFlags(args, FLAGS, {
    h: "help"
  });
  if (flags.help) {
    console.log(STOP_USAGE);
    return 0;
  }
  if (positionals.length > 0 || rest !== void 0) {
    throw new UsageError(`Unexpected argument "${positionals[0] ?? "--"}": stop takes flags only`);
  }
  const host = await currentHost();
  const stateDir = resolveStateDir(flags["state-dir"], host.env);
  const instance = resolveInstance(flags.instance, host.env);
  const status = await inspectInstance(host, {
    stateDir,
    check: true,
    healthTimeoutMs: HEALTH_TIMEOUT_MS
  }, instance);
  if (status.state !== "live" || status.pid === void 0) {
    const why = status.state === "stale" ? `; ${staleMessage(status).replace(/^S/, "s")}` : "";
    throw new NotFoundError(`Nothing to stop: instance "${instance}" is not live in ${stateDir}${why}; "pryx-core list" shows every instance`);
  }
  await stopOwner(status.pid, instancePaths(stateDir, instance).lock);
  console.error(`pryx-core: Stopped instance "${instance}" (pid ${status.pid})`);
  return 0;
});
var stopOwner = (async function stopOwner(pid, lockPath, timeoutMs = STOP_TIMEOUT_MS) {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    return;
  }
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; isInstanceLocked(lockPath); delay = Math.min(delay * 2, 100)) {
    if (Date.now() >= deadline) {
      throw new PryxError(`Pid ${pid} did not stop within ${timeoutMs / 1e3} s; try again, or "kill -9 ${pid}" if it is stuck`, 1);
    }
    await new Promise((r) => setTimeout(r, delay));
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
var MAX_MESSAGE_BYTES = 1024 * 1024;
var INSTANCE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// lib/port_file.ts
var Suffix = {
  port: ".port",
  json: ".json",
  lock: ".lock"
};

// lib/discover.ts

// lib/instance_lock.ts

// lib/_fs_shim.ts
var cached;

// lib/cmd_stop.ts
var STOP_TIMEOUT_MS = 1e4;
var STOP_USAGE = `Usage: pryx-core stop [flags]

Send SIGTERM to the live owner of an instance (verified by its lock and
/health) and wait until it is gone (at most ${STOP_TIMEOUT_MS / 1e3} s).

Flags:
  --instance NAME   instance name (env ${Env.instance}; default runtime)
  --state-dir DIR   state directory (env ${Env.home}; default ~/.pryx)
  -h, --help        show this help

Exit codes: 0 stopped, 1 nothing live to stop or it did not stop in time.
`;
var FLAGS = {
  instance: "string",
  "state-dir": "string",
  help: "boolean"
};
export {
  STOP_TIMEOUT_MS,
  STOP_USAGE,
  stopCommand,
  stopOwner
};
