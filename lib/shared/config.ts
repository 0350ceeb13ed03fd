/**
 * Defaults, environment variable names and instance naming: the one place
 * for each of these facts. Pure functions only, so the client module can
 * use them on Deno, Node and Bun alike.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { checkSpecialStateDir } from "./special_paths.ts";
import { hostOs, type Os, pathSeparator } from "./os.ts";

/** The product name reported by `/health` as `service`. */
export const SERVICE = "pryx-core";

/** The version of this build, reported by `--version`, `/health` and files. */
export const VERSION = "0.1.0";

/** The instance used when neither `--instance` nor `PRYX_INSTANCE` is set. */
export const DEFAULT_INSTANCE = "runtime";

/** The listen address used when neither `--listen` nor `PRYX_LISTEN_ADDR` is set. */
export const DEFAULT_LISTEN = "127.0.0.1:0";

/** Name of the state directory below the home directory. */
const STATE_DIR_NAME = ".pryx";

/** Environment variables read by pryx-core, by purpose. */
export const Env = {
  home: "PRYX_HOME",
  instance: "PRYX_INSTANCE",
  listen: "PRYX_LISTEN_ADDR",
  auth: "PRYX_AUTH",
  allowOrigins: "PRYX_ALLOW_ORIGINS",
  allowHosts: "PRYX_ALLOW_HOSTS",
  apiUrl: "PRYX_API_URL",
  wsUrl: "PRYX_WS_URL",
  socket: "PRYX_SOCKET",
  token: "PRYX_TOKEN",
  tokenFile: "PRYX_TOKEN_FILE",
  probePorts: "PRYX_PROBE_PORTS",
  exitWhenIdle: "PRYX_EXIT_WHEN_IDLE",
  /**
   * Set by the unit of `pryx-core service install` to the service manager
   * that runs the runtime (`systemd`, `launchd`, `schtasks`); recorded as
   * `service` in `<instance>.json`, so `stop` can say the manager starts it
   * again.
   */
  service: "PRYX_SERVICE",
} as const;

/** How long a `/health` check of a candidate may take, in milliseconds. */
export const HEALTH_TIMEOUT_MS = 1000;

/** Default `discover --wait` duration, in milliseconds. */
export const DEFAULT_WAIT_MS = 30_000;

/** Largest WebSocket frame or HTTP body accepted, in bytes (1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * The WebSocket idle timeout of the server, in seconds (Deno's
 * `UpgradeWebSocketOptions.idleTimeout`): a client silent this long is
 * pinged, and closed when it does not answer within as long again, so a
 * dead peer goes within 30 s (SPEC 4, heartbeat).
 */
export const WS_IDLE_TIMEOUT_S = 15;

/** How long in-flight requests may take to finish on shutdown, in ms. */
export const DRAIN_TIMEOUT_MS = 5000;

/**
 * How long `stop` and `run` wait for a runtime to go once asked, in ms: the
 * drain ({@linkcode DRAIN_TIMEOUT_MS}) and the removal of its files, with
 * room to spare.
 */
export const STOP_TIMEOUT_MS = 10_000;

/**
 * How long `stop --force` waits after SIGTERM (with SIGCONT, so a stopped
 * process can act on it) before it sends SIGKILL, in ms: a drain's bound
 * ({@linkcode DRAIN_TIMEOUT_MS}) and a little more.
 */
export const FORCE_TERM_MS = 6000;

/**
 * Shortest token accepted from `--token-file`, in characters: 32 base64url
 * characters carry 192 bits, the least a generated token has.
 */
export const MIN_TOKEN_LENGTH = 32;

/**
 * How often a running server checks that its instance files and lock file
 * are still in place, in ms, where it cannot watch its state directory,
 * and how often it retries a republish that failed: within the 50 ms in
 * which SPEC 2 has a removed state directory back.
 */
export const REPUBLISH_CHECK_MS = 40;

/**
 * Largest size of `<instance>.log` before it is rotated once to
 * `<instance>.log.1`, in bytes (1 MiB): a runtime in the background keeps
 * at most twice this on disk, however long it runs.
 */
export const LOG_MAX_BYTES = 1024 * 1024;

/** `1048576` → `"1 MiB"`: limits in messages come from their constants. */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** `1000` → `"1 s"`, `250` → `"250 ms"`: durations in messages. */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * The permissions the runtime runs with under `deno run`: the flags of the
 * `start` and `pryx` tasks of `deno.json` and of `deno compile` (a test keeps
 * them equal). Not `-A`: no FFI, no subprocess-free escape hatches beyond
 * `--allow-run`, which `run` and `stop` need. `--allow-sys=hostname,uid`:
 * the record's `machine` and the owner check of the state directory (Deno
 * refuses `/proc` to anything short of `--allow-all`).
 */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys=hostname,uid",
];

/**
 * Reads one environment variable; injected so tests and Node can differ.
 * Build one with {@linkcode envReader}, so a blank value reads as unset.
 */
export type EnvGetter = (name: string) => string | undefined;

/**
 * The one way pryx-core reads its environment: wraps a raw reader (Deno's
 * `Deno.env.get`, Node's `process.env`, a test's record) so that a value
 * that is empty or only whitespace reads as unset, for every variable. A
 * shell user expects `PRYX_LISTEN_ADDR= cmd`, an empty `ENV` line of a
 * Dockerfile or a `.env` file to mean "not set", not "set to nothing".
 * Other values are returned as they are, not trimmed.
 *
 * @example
 * ```ts
 * const env = envReader((name) => ({ PRYX_HOME: " " })[name]);
 * env("PRYX_HOME"); // undefined
 * ```
 */
export function envReader(
  raw: (name: string) => string | undefined,
): EnvGetter {
  return (name) => nonEmpty(raw(name));
}

/**
 * `Deno.env.get`, with a missing permission turned into one line that names
 * the flag to add, instead of a silent "unset" that would surface later as
 * a puzzling "set HOME".
 *
 * @throws {UsageError} Without `--allow-env` (for `name`).
 */
export function readDenoEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
    throw new UsageError(
      `Cannot read the environment variable ${name}: run with --allow-env (or --allow-env=${name},...)`,
    );
  }
}

/**
 * {@linkcode envReader} over a record (`process.env`, a test's object);
 * own properties only.
 */
export function envFromRecord(
  record: Readonly<Record<string, string | undefined>>,
): EnvGetter {
  return envReader((name) =>
    Object.hasOwn(record, name) ? record[name] : undefined
  );
}

const INSTANCE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Windows' reserved device names: a file named `con`, `nul` or `com1`, with
 * or without an extension (`con.port`, `nul.x.json`), is the device, not a
 * file, in every directory. Source: Microsoft, "Naming Files, Paths, and
 * Namespaces" (learn.microsoft.com/windows/win32/fileio/naming-a-file).
 * `com0` and `lpt0` are refused too: the file APIs of some Windows versions
 * treat them as devices. The superscript forms (`com¹`) are outside the
 * instance alphabet anyway.
 */
const WINDOWS_DEVICE_RE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/;

/**
 * Whether `name` is a Windows device name, alone or before an extension
 * (`nul`, `con.x`, `com1.dev`). Such names are refused on every OS, so a
 * state directory can be shared with Windows (a synced home, a container
 * volume) and an instance name means the same everywhere.
 */
export function isWindowsDeviceName(name: string): boolean {
  return WINDOWS_DEVICE_RE.test(name.toLowerCase());
}

/**
 * Validates an instance name (`[a-z0-9][a-z0-9._-]{0,63}`, and not a
 * Windows device name such as `nul` or `con.x`).
 *
 * @param name The name from `--instance` or `PRYX_INSTANCE`.
 * @returns The name, unchanged.
 * @throws {UsageError} When the name could escape the state directory or is
 * otherwise not allowed.
 */
export function parseInstanceName(name: string): string {
  if (!INSTANCE_RE.test(name)) {
    throw new UsageError(
      `Invalid instance name "${name}": use 1-64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`,
    );
  }
  if (isWindowsDeviceName(name)) {
    throw new UsageError(
      `Invalid instance name "${name}": it is a device name on Windows (con, prn, aux, nul, com0-com9, lpt0-lpt9, also before a "."); choose another name`,
    );
  }
  return name;
}

/**
 * Resolves the instance name: the flag, else `PRYX_INSTANCE`, else the
 * default, validated.
 *
 * @example
 * ```ts
 * resolveInstance(undefined, () => undefined); // "runtime"
 * ```
 */
export function resolveInstance(
  flag: string | undefined,
  env: EnvGetter,
): string {
  return parseInstanceName(
    flag ?? env(Env.instance) ?? DEFAULT_INSTANCE,
  );
}

/**
 * Resolves the state directory: the flag, else `PRYX_HOME`, else `~/.pryx`.
 * A value that is `~` or starts with `~/` (or `~\`) has the `~` replaced by
 * the home directory, as a shell would have done: the value often arrives
 * unexpanded, from a quoted shell line, a systemd unit, a `.env` file or a
 * Dockerfile `ENV`.
 *
 * A directory that Deno keeps from pryx-core (under `/proc`, `/sys` or
 * `/dev`, also through a symbolic link) is refused here, once for every
 * subcommand and the client: see `special_paths.ts`.
 *
 * @throws {UsageError} When no home directory is known and one is needed,
 * or for `~user/...` (another user's home is not looked up).
 * @throws {StateDirError} For a directory in a tree Deno opens only for
 * `--allow-all`.
 * @param os Windows joins with `\\` and looks at `USERPROFILE` first.
 */
export function resolveStateDir(
  flag: string | undefined,
  env: EnvGetter,
  os: Os = hostOs(),
): string {
  const value = flag ?? env(Env.home);
  const dir = value !== undefined
    ? expandHome(value, env, os)
    : `${homeDir(env, `~/${STATE_DIR_NAME}`, os)}${
      pathSeparator(os)
    }${STATE_DIR_NAME}`;
  checkSpecialStateDir(dir, os);
  return dir;
}

/**
 * Expands a leading `~` of `path` to the home directory: `~` and `~/rest`
 * (also `~\rest`, for Windows) expand; any other path is returned as is.
 *
 * @throws {UsageError} For `~user` forms, and when no home directory is
 * known.
 *
 * @example
 * ```ts
 * expandHome("~/.pryx", () => "/home/ada"); // "/home/ada/.pryx"
 * ```
 */
export function expandHome(
  path: string,
  env: EnvGetter,
  os: Os = hostOs(),
): string {
  if (!path.startsWith("~")) return path;
  const rest = path.slice(1);
  if (rest !== "" && rest[0] !== "/" && rest[0] !== "\\") {
    throw new UsageError(
      `Cannot expand "${path}": only "~" and "~/..." name a home directory (yours); write the full path instead`,
    );
  }
  const home = homeDir(env, `"${path}"`, os);
  if (rest === "") return home || "/";
  // One separator throughout, the platform's: `~/.pryx` on Windows is
  // `C:\\Users\\me\\.pryx`, the spelling its watches and tools report.
  return home + (os === "windows" ? rest.replaceAll("/", "\\") : rest);
}

/**
 * The home directory, without a trailing separator (so `/` gives `""`,
 * ready for `+ "/name"`): `HOME`, else `USERPROFILE`; on Windows
 * `USERPROFILE` first, as Deno's own installer reads it ("HOME is
 * non-standard" there: MSYS, Cygwin and users set it to other places), so
 * every shell of a Windows user finds one state directory.
 *
 * @param forWhat What needs it, for the error message.
 * @throws {UsageError} When neither is set.
 */
function homeDir(env: EnvGetter, forWhat: string, os: Os): string {
  const home = os === "windows"
    ? env("USERPROFILE") ?? env("HOME")
    : env("HOME") ?? env("USERPROFILE");
  if (home === undefined) {
    throw new UsageError(
      `Cannot find the home directory for ${forWhat}: set HOME or PRYX_HOME`,
    );
  }
  return home.replace(/[\\/]+$/, "");
}

/**
 * `value`, or `undefined` when it is unset, empty or only whitespace: a
 * blank `PRYX_*` variable counts as unset, as a shell user expects of
 * `VAR= cmd`.
 */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
