/**
 * `pryx-core serve`: resolves flags and environment into
 * {@linkcode ServeOptions} and runs the server.
 *
 * @module
 */

import { type ParsedFlags, parseDuration } from "./args.ts";
import { openCommand } from "./command.ts";
import {
  DEFAULT_LISTEN,
  Env,
  type EnvGetter,
  envReader,
  formatBytes,
  LOG_MAX_BYTES,
  readDenoEnv,
  resolveInstance,
  resolveStateDir,
} from "../shared/config.ts";
import { ExitCode, PryxError, UsageError } from "../shared/errors.ts";
import { LEGACY_PORT, parseListenAddr } from "../server/listen_addr.ts";
import {
  createLogger,
  fileSink,
  type LogFormat,
  type Logger,
} from "../server/log.ts";
import { instancePaths } from "../shared/instance_files.ts";
import { normaliseAllowedHost, normaliseOrigin } from "../server/security.ts";
import { importLazily } from "../shared/lazy_import.ts";
import { serve, type ServeOptions } from "../server/lifecycle.ts";
import { parseServiceManager } from "../shared/service_manager.ts";
import { recordStartFailure } from "../server/start_failure.ts";

/** Help text of `pryx-core serve`. */
const SERVE_USAGE = `Usage: pryx-core serve [flags]

Start the runtime: bind a port, write <state-dir>/<instance>.port and .json,
serve /health, /ws, /publish/:topic, /info, /metrics (Prometheus) and / (a
status page for a browser) until SIGINT, SIGTERM, SIGHUP or POST
/control/shutdown ("pryx-core stop").

Flags:
  --listen ADDR          :0, 127.0.0.1:0, [::1]:0, :8080, host:38124-38133,
                         0.0.0.0:8080 (env ${Env.listen}; default ${DEFAULT_LISTEN})
  --instance NAME        instance name (env ${Env.instance}; default runtime)
  --state-dir DIR        state directory (env ${Env.home}; default ~/.pryx)
  --auth none|token      require a bearer token (env ${Env.auth}; default none,
                         token when bound to all interfaces)
  --token-file PATH      use the token in PATH (mode 0600) instead of a fresh
                         one (env ${Env.tokenFile})
  --allow-origin ORIGIN  also accept this browser origin (repeatable;
                         env ${Env.allowOrigins}, comma-separated)
  --allow-host NAME      also accept this Host name on loopback, e.g. behind
                         a proxy (repeatable; env ${Env.allowHosts},
                         comma-separated; *.localhost always passes)
  --log-format text|json
                         log format (default text)
  --log-to-file          log to <state-dir>/<instance>.log instead of stderr,
                         rotated once to .log.1 past ${
  formatBytes(LOG_MAX_BYTES)
}
  --detach               start in the background (own session, logging to
                         <instance>.log), wait until ready, print its URL
  --quiet                log warnings and errors only
  --exit-when-idle DURATION
                         stop once no client has held a lease or a WebSocket
                         for DURATION, e.g. 1s, 5m (env ${Env.exitWhenIdle};
                         what "pryx-core run" starts its runtime with)
  -h, --help             show this help
  -V, --version          print the version
`;

/** The flags of `serve` (also what the shell completions offer). */
export const FLAGS = {
  listen: "string",
  instance: "string",
  "state-dir": "string",
  auth: "string",
  "token-file": "string",
  "allow-origin": "list",
  "allow-host": "list",
  "log-format": "string",
  quiet: "boolean",
  "exit-when-idle": "string",
  "log-to-file": "boolean",
  detach: "boolean",
} as const;

/** The advice for a port flag users guess (`--port 8080`, `-p 8080`). */
const portAdvice = (value: string | undefined) =>
  `to listen on ${
    value !== undefined && /^\d{1,5}$/.test(value)
      ? `port ${value}, use --listen :${value}`
      : "a port, use --listen :PORT (or --listen :0 for any free one)"
  }`;

/** Port flags of other servers, which serve says how to write. */
const PORT_GUESSES = {
  "--port": portAdvice,
  "-p": portAdvice,
} as const;

/**
 * Runs `serve` with command-line `args`.
 *
 * @returns The exit code.
 */
export async function serveCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "serve",
    usage: SERVE_USAGE,
    flags: FLAGS,
    version: true,
    guesses: PORT_GUESSES,
  });
  if (opened.done !== undefined) return opened.done;
  const { flags } = opened;
  const format = flags["log-format"] ?? "text";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`Invalid --log-format "${format}": use text or json`);
  }
  const env = envReader(readDenoEnv);
  if (flags.detach) {
    const { detachServe } = await importLazily<
      typeof import("./serve_detach.ts")
    >("./serve_detach.ts", import.meta.url);
    return await detachServe(args, {
      instance: resolveInstance(flags.instance, env),
      stateDir: resolveStateDir(flags["state-dir"], env),
    });
  }
  const quiet = flags.quiet ?? false;
  let log = createLogger(format as LogFormat, quiet);
  let target: Target | undefined;
  try {
    target = {
      instance: resolveInstance(flags.instance, env),
      stateDir: resolveStateDir(flags["state-dir"], env),
    };
    if (flags["log-to-file"]) {
      const paths = instancePaths(target.stateDir, target.instance);
      const sink = fileSink(paths.log, paths.oldLog, target.stateDir);
      log = createLogger(format as LogFormat, quiet, sink, true);
    }
    return await serveWith(flags, env, target, log);
  } catch (err) {
    if (!(err instanceof PryxError)) throw err;
    // Whoever started this serve in the background reads why (SPEC 2).
    if (target !== undefined) {
      recordStartFailure(target.stateDir, target.instance, err);
    }
    // The log of a runtime in the background says it too.
    if (flags["log-to-file"] && format === "text") {
      log.log("error", err.message, { exitCode: err.exitCode });
    }
    // A log collector reads one JSON object per line: failures too.
    if (format === "text") throw err;
    log.log("error", err.message, { exitCode: err.exitCode });
    return err.exitCode;
  }
}

/** The instance a serve is for: where a failure to start is recorded. */
interface Target {
  /** The instance name. */
  instance: string;
  /** The state directory. */
  stateDir: string;
}

/** Resolves options from `flags` and the environment, then serves. */
async function serveWith(
  flags: ParsedFlags<typeof FLAGS>,
  env: EnvGetter,
  target: Target,
  log: Logger,
): Promise<number> {
  const addr = parseListenAddr(
    flags.listen ?? env(Env.listen) ?? DEFAULT_LISTEN,
  );
  const authText = flags.auth ?? env(Env.auth);
  if (authText !== undefined && authText !== "none" && authText !== "token") {
    throw new UsageError(`Invalid auth mode "${authText}": use none or token`);
  }
  const exposed = !addr.loopback;
  const auth = authText ?? (exposed ? "token" : "none");
  if (exposed && auth === "none") {
    log.log(
      "warn",
      `Listening on ${addr.text} without a token: anyone who can reach this port can use the event bus`,
    );
  }
  const tokenFile = flags["token-file"] ?? env(Env.tokenFile);
  const options: ServeOptions = {
    addr,
    ...target,
    auth,
    ...(tokenFile === undefined ? {} : { token: await readToken(tokenFile) }),
    allowedOrigins: parseOrigins([
      ...splitList(env(Env.allowOrigins)),
      ...(flags["allow-origin"] ?? []),
    ]),
    allowedHosts: parseHosts([
      ...splitList(env(Env.allowHosts)),
      ...(flags["allow-host"] ?? []),
    ]),
  };
  if (addr.legacyPort) {
    log.log(
      "info",
      `Listening on an OS-assigned port instead of ${addr.text}: ":${LEGACY_PORT}" is the legacy default and means any free port; write 127.0.0.1:${LEGACY_PORT} for that port exactly`,
    );
  }
  const manager = env(Env.service);
  if (manager !== undefined) {
    options.service = parseServiceManager(manager);
    if (options.service === undefined) {
      throw new UsageError(
        `Invalid ${Env.service} "${manager}": use systemd, launchd or schtasks (what "pryx-core service install" writes), or unset it`,
      );
    }
  }
  const idleText = flags["exit-when-idle"] ?? env(Env.exitWhenIdle);
  if (idleText !== undefined) {
    options.exitWhenIdleMs = parseIdleDuration(idleText);
  }
  await serve(options, log);
  return ExitCode.Ok;
}

/**
 * Parses the `--exit-when-idle` duration.
 *
 * @returns Milliseconds, more than 0.
 * @throws {UsageError} For a malformed or zero duration.
 */
function parseIdleDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms <= 0) {
    throw new UsageError(
      `Invalid --exit-when-idle "${text}": use a duration above 0, e.g. 1s or 5m, or leave it out to never stop when idle`,
    );
  }
  return ms;
}

/** `"a, b,,c"` → `["a", "b", "c"]`: a comma-separated variable. */
function splitList(value: string | undefined): string[] {
  return value?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
}

function parseHosts(values: string[]): Set<string> {
  const hosts = new Set<string>();
  for (const value of values) {
    const host = normaliseAllowedHost(value);
    if (host === undefined) {
      throw new UsageError(
        `Invalid host "${value}": use a host name or IP address without scheme or port, e.g. app.localhost or host.docker.internal`,
      );
    }
    hosts.add(host);
  }
  return hosts;
}

function parseOrigins(values: string[]): Set<string> {
  const origins = new Set<string>();
  for (const value of values) {
    const origin = normaliseOrigin(value);
    if (origin === undefined) {
      throw new UsageError(
        `Invalid origin "${value}": use scheme://host[:port], e.g. http://localhost:5173`,
      );
    }
    origins.add(origin);
  }
  return origins;
}

/** Reads `--token-file`; its module is loaded only when one is given. */
async function readToken(path: string): Promise<string> {
  const { readTokenFile } = await importLazily<
    typeof import("../server/token_file.ts")
  >("../server/token_file.ts", import.meta.url);
  return readTokenFile(path);
}
