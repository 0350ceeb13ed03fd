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
var parseListenAddr = (function parseListenAddr(text) {
  const bad = (why) => new UsageError(`Cannot parse listen address "${text}": ${why}`);
  let host;
  let portText;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) throw bad('missing "]" after the IPv6 address');
    host = text.slice(1, close);
    if (text[close + 1] !== ":") throw bad('expected ":PORT" after "]"');
    portText = text.slice(close + 2);
    if (!isIpv6(host)) throw bad(`"${host}" is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) {
      host = "";
      portText = text;
    } else {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host.includes(":")) {
        throw bad("write IPv6 addresses in brackets, e.g. [::1]:0");
      }
    }
  }
  const { ports, isRange } = parsePorts(portText, bad);
  if (host === "" && !isRange && ports[0] === LEGACY_PORT && text === ":3000") {
    ports[0] = 0;
  }
  let hostname;
  if (host === "" || host === "localhost") hostname = "127.0.0.1";
  else if (isIpv4(host) || isIpv6(host)) hostname = host;
  else {
    throw bad(`"${host}" is not an IP address; use an IP literal or localhost`);
  }
  const allInterfaces = hostname === "0.0.0.0" || hostname === "::";
  return {
    hostname,
    ports,
    isRange,
    loopback: isLoopbackIp(hostname),
    allInterfaces,
    text
  };
});
var isLoopbackIp = (function isLoopbackIp(ip) {
  return ip.startsWith("127.") || ip === "::1";
});
var parsePorts = (function parsePorts(text, bad) {
  const dash = text.indexOf("-");
  if (dash !== -1 && isDigits(text.slice(0, dash), 5)) {
    const from = Number(text.slice(0, dash));
    const to = Number(text.slice(dash + 1));
    if (!isDigits(text.slice(dash + 1), 5) || from < 1 || to > 65535 || from > to) {
      throw bad("a port range must be FROM-TO with 1 <= FROM <= TO <= 65535");
    }
    const ports = [];
    for (let p = from; p <= to; p++) ports.push(p);
    return {
      ports,
      isRange: true
    };
  }
  if (!isDigits(text, 5) || Number(text) > 65535) {
    throw bad("the port must be a number from 0 to 65535 or a range FROM-TO");
  }
  return {
    ports: [
      Number(text)
    ],
    isRange: false
  };
});
var isDigits = (function isDigits(text, max) {
  if (text.length === 0 || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
});
var isIpv4 = (function isIpv4(host) {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => isDigits(p, 3) && (p.length === 1 || p[0] !== "0") && Number(p) <= 255);
});
var isIpv6 = (function isIpv6(host) {
  if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(":")) return false;
  try {
    new URL(`http://[${host}]/`);
    return true;
  } catch {
    return false;
  }
});
var isoTime = (function isoTime(ms = Date.now()) {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 36e5);
  rest -= hours * 36e5;
  const minutes = Math.floor(rest / 6e4);
  rest -= minutes * 6e4;
  const seconds = Math.floor(rest / 1e3);
  const millis = rest - seconds * 1e3;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(millis, 3)}Z`;
});
var pad = (function pad(n, width) {
  return String(n).padStart(width, "0");
});
var createLogger = (function createLogger(format = "text", quiet = false) {
  const encoder = new TextEncoder();
  return {
    log(level, msg, fields = {}) {
      if (quiet && level === "info") return;
      const line = format === "json" ? JSON.stringify({
        time: isoTime(),
        level,
        msg,
        ...fields
      }) : `${level === "info" ? "" : `${level}: `}${msg}`;
      Deno.stderr.writeSync(encoder.encode(line + "\n"));
    }
  };
});
var normaliseOrigin = (function normaliseOrigin(value) {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return void 0;
    if (url.pathname !== "/" || url.search || url.hash || url.username) {
      return void 0;
    }
    return url.origin;
  } catch {
    return void 0;
  }
});
var generateToken = (function generateToken() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
});
var stageFile = (function stageFile(path, data, options = {}) {
  const mode = options.mode ?? 384;
  const slash = path.lastIndexOf("/");
  const suffix = Math.random().toString(36).slice(2, 8);
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${Deno.pid}.${suffix}.tmp`;
  let file;
  const close = () => {
    file?.close();
    file = void 0;
  };
  const discard = () => {
    close();
    try {
      Deno.removeSync(tmp);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  try {
    file = Deno.openSync(tmp, {
      write: true,
      createNew: true,
      mode
    });
    const bytes = new TextEncoder().encode(data);
    for (let off = 0; off < bytes.length; ) {
      off += file.writeSync(bytes.subarray(off));
    }
    if (options.flush !== false) file.syncSync();
    if (options.verifyMode) {
      const actual = file.statSync().mode;
      if (actual !== null && (actual & 511) !== mode) {
        throw new StateDirError(`Cannot protect "${path}": its mode is ${octal(actual)} instead of ${octal(mode)}; put the state directory on a file system with Unix permissions`);
      }
    }
    if (options.flush !== false) close();
  } catch (err) {
    try {
      discard();
    } catch {
    }
    throw asStateDirError(err, path);
  }
  return {
    async flush() {
      try {
        await file?.sync();
      } catch (err) {
        throw asStateDirError(err, path);
      } finally {
        close();
      }
    },
    commit() {
      close();
      try {
        Deno.renameSync(tmp, path);
      } catch (err) {
        discard();
        throw asStateDirError(err, path);
      }
    },
    discard
  };
});
var octal = (function octal(mode) {
  return "0" + (mode & 511).toString(8);
});
var asStateDirError = (function asStateDirError(err, path) {
  if (err instanceof StateDirError) return err;
  if (err instanceof Error && err.name in Deno.errors) {
    return new StateDirError(`Cannot write "${path}": ${err.message.split("\n", 1)[0]}; check that the state directory is writable or set PRYX_HOME`);
  }
  return err;
});
var acquireInstanceLock = (async function acquireInstanceLock(lockPath, options = {}) {
  const { exists = true, retryMs = LOCK_RETRY_MS } = options;
  if (exists) refuseSymlink(lockPath);
  let file;
  try {
    file = Deno.openSync(lockPath, {
      read: true,
      write: true,
      create: true,
      mode: 384
    });
  } catch (err) {
    throw new StateDirError(`Cannot open "${lockPath}": ${err.message.split("\n", 1)[0]}; check that the state directory is writable or set PRYX_HOME`);
  }
  const deadline = Date.now() + retryMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 25)) {
    if (file.tryLockSync(true)) return file;
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  file.close();
  return void 0;
});
var refuseSymlink = (function refuseSymlink(path) {
  try {
    if (Deno.lstatSync(path).isSymlink) {
      throw new StateDirError(`Refusing to use "${path}": it is a symbolic link; remove it and start again`);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
});
var bind = (function bind(addr, handler, warn = () => {
}) {
  for (const port of addr.ports) {
    const tries = port === 0 ? COMPANION_ATTEMPTS : 1;
    for (let attempt = 1; attempt <= tries; attempt++) {
      const primary = listenOn(addr.hostname, port, handler, true);
      if (primary === "busy") break;
      const bound = primary.addr.port;
      if (addr.hostname !== "127.0.0.1") {
        return {
          port: bound,
          servers: [
            primary
          ]
        };
      }
      const companion = listenOn("::1", bound, handler, false);
      if (companion === "unavailable") {
        return {
          port: bound,
          servers: [
            primary
          ]
        };
      }
      if (companion !== "busy") {
        return {
          port: bound,
          servers: [
            primary,
            companion
          ]
        };
      }
      if (attempt < tries || addr.isRange) {
        void primary.shutdown();
        continue;
      }
      warn(`Port ${bound} is taken on [::1]; serving on 127.0.0.1 only`);
      return {
        port: bound,
        servers: [
          primary
        ]
      };
    }
  }
  if (addr.isRange) {
    throw new BindError(`Cannot listen on ${addr.text}: every port of the range is in use; free one or choose another range`);
  }
  throw new BindError(`Cannot listen on ${addr.text}: port ${addr.ports[0]} is in use; stop what uses it or listen on :0`);
});
var listenOn = (function listenOn(hostname, port, handler, required) {
  try {
    return Deno.serve({
      hostname,
      port,
      handler,
      onListen() {
      }
    });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return "busy";
    if (!required) return "unavailable";
    const why = err instanceof Deno.errors.PermissionDenied ? "permission denied (ports below 1024 need privileges)" : err instanceof Deno.errors.AddrNotAvailable ? "no interface has this address" : err.message.split("\n", 1)[0];
    throw new BindError(`Cannot listen on ${hostname}:${port}: ${why}`);
  }
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
var formatPortFile = (function formatPortFile(port) {
  return `${port}
`;
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
var ensureStateDir = (function ensureStateDir(dir) {
  try {
    Deno.mkdirSync(dir, {
      recursive: true,
      mode: 448
    });
    return new Set(Array.from(Deno.readDirSync(dir), (entry) => entry.name));
  } catch (err) {
    const why = err instanceof Deno.errors.AlreadyExists ? "it exists and is not a directory" : err.message.split("\n", 1)[0];
    throw new StateDirError(`Cannot use state directory "${dir}": ${why}; set PRYX_HOME or --state-dir to a writable directory`);
  }
});
var removeInstanceFile = (function removeInstanceFile(path) {
  try {
    if (Deno.lstatSync(path).isDirectory) {
      throw new StateDirError(`Cannot use "${path}": it is a directory, not an instance file; remove it and start again`);
    }
    Deno.removeSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if (err instanceof StateDirError) throw err;
    throw new StateDirError(`Cannot remove "${path}": ${err.message.split("\n", 1)[0]}; check the state directory's permissions`);
  }
});
var serve = (async function serve(options, log) {
  const present = ensureStateDir(options.stateDir);
  const has = (path) => present.has(path.slice(path.lastIndexOf("/") + 1));
  const paths = instancePaths(options.stateDir, options.instance);
  const lock = await acquireInstanceLock(paths.lock, {
    exists: has(paths.lock)
  });
  if (lock === void 0) throw await alreadyRunning(options.instance, paths);
  if (has(paths.port)) removeInstanceFile(paths.port);
  if (has(paths.json)) removeInstanceFile(paths.json);
  for (const name of present) {
    if (isTempOf(name, options.instance)) {
      removeInstanceFile(`${options.stateDir}/${name}`);
    }
  }
  const app = Promise.withResolvers();
  let handle = void 0;
  let fast = void 0;
  const inFlight = new InFlight();
  const routed = inFlight.wrap((req, info2) => handle ? handle(req, info2) : app.promise.then((h) => h(req, info2)));
  const bound = bind(options.addr, (req, info2) => fast?.(req) ?? routed(req, info2), (msg) => log.log("warn", msg));
  const token = options.auth === "token" ? generateToken() : void 0;
  const info = {
    pid: Deno.pid,
    port: bound.port,
    hostname: options.addr.hostname,
    ...runtimeUrls(options.addr.hostname, bound.port),
    startedAt: isoTime(),
    version: VERSION,
    instance: options.instance,
    ...token === void 0 ? {} : {
      token
    }
  };
  const stopping = await publishFiles(paths, info, listenForSignals);
  log.log("info", `Starting server on ${info.url}`, {
    url: info.url,
    wsUrl: info.wsUrl,
    pid: info.pid,
    instance: info.instance,
    auth: options.auth
  });
  let draining = false;
  const { createApp, healthFastPath } = await import("./app.js");
  const { WsHub } = await import("./ws_hub.js");
  const hub = new WsHub({
    version: VERSION,
    pid: Deno.pid,
    instance: options.instance
  });
  const state = {
    info,
    hub,
    policy: {
      checkHost: options.addr.loopback,
      allowedOrigins: options.allowedOrigins,
      token
    },
    draining: () => draining,
    log,
    loopback: options.addr.loopback
  };
  const hono = createApp(state);
  handle = (req, connInfo) => hono.fetch(req, connInfo);
  fast = healthFastPath(state);
  app.resolve(handle);
  const reason = await (options.stopOnEof ? Promise.race([
    stopping.stopped,
    endOfInput()
  ]) : stopping.stopped);
  draining = true;
  if (reason === "EOF") {
    log.log("info", "Standard input closed (--stop-on-eof), shutting down", {
      reason: "stdin closed"
    });
  } else {
    log.log("info", `Received ${reason}, shutting down`, {
      signal: reason
    });
  }
  try {
    removeOwnFiles(paths, info);
  } catch (err) {
    log.log("warn", `Could not remove the instance files: ${err.message}`);
  }
  hub.shutdown(reason);
  const drained = inFlight.idle().then(() => Promise.all(bound.servers.map((s) => s.shutdown())));
  let timer;
  const timedOut = await Promise.race([
    drained.then(() => false),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(true), DRAIN_TIMEOUT_MS);
    })
  ]);
  clearTimeout(timer);
  if (timedOut) {
    log.log("warn", "In-flight requests did not finish within 5 s; stopping anyway");
  }
  stopping.remove();
  lock.close();
});
var publishFiles = (async function publishFiles(paths, info, whileFlushing) {
  const portFile = stageFile(paths.port, formatPortFile(info.port), {
    flush: false
  });
  const flushed = portFile.flush();
  let jsonFile;
  let result;
  try {
    jsonFile = stageFile(paths.json, formatRuntimeInfo(info), {
      flush: false,
      verifyMode: info.token !== void 0
    });
    result = whileFlushing();
    await flushed;
  } catch (err) {
    await flushed.catch(() => {
    });
    jsonFile?.discard();
    portFile.discard();
    throw err;
  }
  jsonFile.commit();
  portFile.commit();
  return result;
});
var endOfInput = (async function endOfInput() {
  const buf = new Uint8Array(4096);
  try {
    while (await Deno.stdin.read(buf) !== null) {
    }
  } catch {
  }
  return "EOF";
});
var listenForSignals = (function listenForSignals() {
  const stopped = Promise.withResolvers();
  const listeners = [
    "SIGINT",
    "SIGTERM"
  ].map((signal) => [
    signal,
    () => stopped.resolve(signal)
  ]);
  for (const [signal, fn] of listeners) Deno.addSignalListener(signal, fn);
  return {
    stopped: stopped.promise,
    remove() {
      for (const [signal, fn] of listeners) {
        Deno.removeSignalListener(signal, fn);
      }
    }
  };
});
var isTempOf = (function isTempOf(name, instance) {
  for (const kind of [
    "port",
    "json"
  ]) {
    const prefix = `.${instance}.${kind}.`;
    if (name.startsWith(prefix) && TEMP_TAIL.test(name.slice(prefix.length))) {
      return true;
    }
  }
  return false;
});
var removeOwnFiles = (function removeOwnFiles(paths, info) {
  const current = readText(paths.json);
  if (current === void 0 || parseRuntimeInfo(current)?.pid !== info.pid) {
    return;
  }
  if (parsePortFile(readText(paths.port) ?? "") === info.port) {
    removeInstanceFile(paths.port);
  }
  removeInstanceFile(paths.json);
});
var alreadyRunning = (async function alreadyRunning(instance, paths) {
  const deadline = Date.now() + OWNER_WAIT_MS;
  let owner = parseRuntimeInfo(readText(paths.json) ?? "");
  while (owner === void 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    owner = parseRuntimeInfo(readText(paths.json) ?? "");
  }
  const who = owner === void 0 ? "by a process that is still starting" : `by pid ${owner.pid} at ${owner.url}`;
  return new AlreadyRunningError(`Instance "${instance}" is already running ${who}; stop it with "pryx-core stop --instance ${instance}" or choose another --instance`);
});
var readText = (function readText(path) {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return void 0;
  }
});
var serveCommand = (async function serveCommand(args) {
  const { flags, positionals, rest } = parseFlags(args, FLAGS, {
    h: "help",
    V: "version"
  });
  if (flags.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
  if (flags.version) {
    console.log(VERSION);
    return 0;
  }
  if (positionals.length > 0 || rest !== void 0) {
    throw new UsageError(`Unexpected argument "${positionals[0] ?? "--"}": serve takes flags only`);
  }
  const format = flags["log-format"] ?? "text";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`Invalid --log-format "${format}": use text or json`);
  }
  const log = createLogger(format, flags.quiet ?? false);
  if (format === "text") return await serveWith(flags, log);
  try {
    return await serveWith(flags, log);
  } catch (err) {
    if (!(err instanceof PryxError)) throw err;
    log.log("error", err.message, {
      exitCode: err.exitCode
    });
    return err.exitCode;
  }
});
var serveWith = (async function serveWith(flags, log) {
  const env = (name) => Deno.env.get(name);
  const addr = parseListenAddr(flags.listen ?? env(Env.listen) ?? DEFAULT_LISTEN);
  const authText = flags.auth ?? env(Env.auth);
  if (authText !== void 0 && authText !== "none" && authText !== "token") {
    throw new UsageError(`Invalid auth mode "${authText}": use none or token`);
  }
  const exposed = !addr.loopback;
  const auth = authText ?? (exposed ? "token" : "none");
  if (exposed && auth === "none") {
    log.log("warn", `Listening on ${addr.text} without a token: anyone who can reach this port can use the event bus`);
  }
  const options = {
    addr,
    instance: resolveInstance(flags.instance, env),
    stateDir: resolveStateDir(flags["state-dir"], env),
    auth,
    allowedOrigins: parseOrigins([
      ...env(Env.allowOrigins)?.split(",").map((s) => s.trim()).filter(Boolean) ?? [],
      ...flags["allow-origin"] ?? []
    ]),
    stopOnEof: flags["stop-on-eof"] ?? false
  };
  await serve(options, log);
  return 0;
});
var parseOrigins = (function parseOrigins(values) {
  const origins = /* @__PURE__ */ new Set();
  for (const value of values) {
    const origin = normaliseOrigin(value);
    if (origin === void 0) {
      throw new UsageError(`Invalid origin "${value}": use scheme://host[:port], e.g. http://localhost:5173`);
    }
    origins.add(origin);
  }
  return origins;
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
var BindError = class extends PryxError {
  /** @param message Which address and what to do. */
  constructor(message) {
    super(message, ExitCode.Bind);
  }
};
var AlreadyRunningError = class extends PryxError {
  /** @param message Which pid and URL own it. */
  constructor(message) {
    super(message, ExitCode.AlreadyRunning);
  }
};
var StateDirError = class extends PryxError {
  /** @param message Which directory and what to do. */
  constructor(message) {
    super(message, ExitCode.StateDir);
  }
};

// lib/args.ts

// lib/config.ts
var VERSION = "0.1.0";
var DEFAULT_INSTANCE = "runtime";
var DEFAULT_LISTEN = "127.0.0.1:0";
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
var MAX_MESSAGE_BYTES = 1024 * 1024;
var DRAIN_TIMEOUT_MS = 5e3;
var INSTANCE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

// lib/listen_addr.ts
var LEGACY_PORT = 3e3;

// lib/iso_time.ts
var MS_PER_DAY = 864e5;

// lib/log.ts

// lib/security.ts

// lib/atomic_write.ts

// lib/instance_lock.ts
var LOCK_RETRY_MS = 250;

// lib/listen.ts
var COMPANION_ATTEMPTS = 5;

// lib/port_file.ts
var Suffix = {
  port: ".port",
  json: ".json",
  lock: ".lock"
};

// lib/in_flight.ts
var InFlight = class {
  #count = 0;
  #idle;
  /** Requests answered asynchronously and not settled yet. */
  get count() {
    return this.#count;
  }
  /**
   * Wraps `handler`. A synchronous answer (the `/health` fast path, a
   * WebSocket upgrade) is passed through untouched: only promises are
   * counted, so the hot path pays one type check.
   */
  wrap(handler) {
    return (req, info) => {
      const res = handler(req, info);
      if (!(res instanceof Promise)) return res;
      this.#count++;
      return res.finally(() => {
        if (--this.#count === 0) this.#idle?.resolve();
      });
    };
  }
  /** Resolves once no request is pending (at once when none is). */
  idle() {
    if (this.#count === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers();
    const idle = this.#idle;
    return idle.promise.finally(() => {
      if (this.#idle === idle) this.#idle = void 0;
    });
  }
};

// lib/state_dir.ts

// lib/serve.ts
var TEMP_TAIL = /^\d+\.[a-z0-9]+\.tmp$/;
var OWNER_WAIT_MS = 3e3;

// lib/cmd_serve.ts
var SERVE_USAGE = `Usage: pryx-core serve [flags]

Start the runtime: bind a port, write <state-dir>/<instance>.port and .json,
serve /health, /ws, /publish/:topic and /info until SIGINT or SIGTERM.

Flags:
  --listen ADDR          :0, 127.0.0.1:0, [::1]:0, :8080, host:38124-38133,
                         0.0.0.0:8080 (env ${Env.listen}; default ${DEFAULT_LISTEN})
  --instance NAME        instance name (env ${Env.instance}; default runtime)
  --state-dir DIR        state directory (env ${Env.home}; default ~/.pryx)
  --auth none|token      require a bearer token (env ${Env.auth}; default none,
                         token when bound to all interfaces)
  --allow-origin ORIGIN  also accept this browser origin (repeatable;
                         env ${Env.allowOrigins}, comma-separated)
  --log-format text|json log format on stderr (default text)
  --quiet                log warnings and errors only
  --stop-on-eof          also stop when standard input closes (what
                         "pryx-core run" uses, so its runtime never outlives it)
  -h, --help             show this help
  -V, --version          print the version
`;
var FLAGS = {
  listen: "string",
  instance: "string",
  "state-dir": "string",
  auth: "string",
  "allow-origin": "list",
  "log-format": "string",
  quiet: "boolean",
  "stop-on-eof": "boolean",
  help: "boolean",
  version: "boolean"
};
export {
  SERVE_USAGE,
  serveCommand
};
