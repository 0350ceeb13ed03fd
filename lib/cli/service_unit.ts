/**
 * The per-user service of `pryx-core service` (SPEC 5): ONE typed
 * description ({@linkcode ServiceDescription}: the command, its
 * arguments, environment, restart policy and log) and the three texts made
 * from it, the OS a parameter: a systemd user unit (Linux), a launchd
 * agent property list (macOS), a Task Scheduler task (Windows). Pure: the
 * files are written and the managers asked in `service.ts`.
 *
 * The restart policy is "on failure": a clean exit (`pryx-core stop`,
 * `--exit-when-idle`) stays stopped until the next login; a crash is
 * restarted after a short delay. Exits a restart cannot mend (2 usage, 4
 * already running, 5 state directory unusable) are not restarted where the
 * manager can say so (systemd).
 *
 * @module
 */

import { type Os, pathSeparator } from "../shared/os.ts";
import { ExitCode } from "../shared/errors.ts";
import {
  DEFAULT_INSTANCE,
  Env,
  type EnvGetter,
  expandHome,
  RUNTIME_PERMISSIONS,
} from "../shared/config.ts";
import {
  managerFor,
  type ServiceManager,
  serviceName,
} from "../shared/service_manager.ts";
import { findCommand, quoteForCmd } from "./command_path.ts";
import { UsageError } from "../shared/errors.ts";

/** How pryx-core itself is started: a program by absolute path and its first arguments. */
export interface Launcher {
  /** Absolute path of the program. */
  program: string;
  /** Arguments before the subcommand (`run --allow-... /abs/main.ts` for `deno`). */
  args: string[];
}

/** Everything a service manager needs to run one instance, whatever the OS. */
export interface ServiceDescription {
  /** The manager it is written for. */
  manager: ServiceManager;
  /** The instance it runs. */
  instance: string;
  /** The name the manager knows it by (see `serviceName`). */
  name: string;
  /** One line for people: `pryx-core runtime (instance "x")`. */
  description: string;
  /** Absolute path of the program. */
  program: string;
  /** Its arguments: the launcher's, then `serve --instance NAME ...`. */
  args: string[];
  /** Variables set for it: {@linkcode Env.service} names the manager. */
  env: Record<string, string>;
  /** Restart when it fails (not after a clean exit), after this delay. */
  restart: {
    when: "on-failure";
    delaySeconds: number;
    preventExitCodes: number[];
  };
  /** Where its stdout and stderr go: `<state-dir>/<instance>.log`. */
  logPath: string;
  /** Its working directory: the home directory. */
  workingDirectory: string;
}

/** What {@linkcode describeService} is made from. */
export interface ServiceInput {
  /** The instance name (already checked). */
  instance: string;
  /** How pryx-core is started ({@linkcode findLauncher}). */
  launcher: Launcher;
  /** The `serve` flags to pass after `--instance` (already checked). */
  serveArgs: string[];
  /** The state directory (absolute). */
  stateDir: string;
  /** The home directory (absolute). */
  home: string;
}

/**
 * The service of `input` on `os`.
 *
 * @throws {UsageError} On an OS without a per-user service manager here.
 */
export function describeService(
  input: ServiceInput,
  os: Os,
): ServiceDescription {
  const manager = requireManager(os);
  return {
    manager,
    instance: input.instance,
    name: serviceName(manager, input.instance),
    description: `pryx-core runtime (instance "${input.instance}")`,
    program: input.launcher.program,
    args: [
      ...input.launcher.args,
      "serve",
      "--instance",
      input.instance,
      ...input.serveArgs,
    ],
    env: { [Env.service]: manager },
    restart: {
      when: "on-failure",
      // Task Scheduler's shortest restart interval is one minute.
      delaySeconds: manager === "schtasks" ? 60 : 2,
      preventExitCodes: [
        ExitCode.Usage,
        ExitCode.AlreadyRunning,
        ExitCode.StateDir,
      ],
    },
    logPath: `${input.stateDir}${pathSeparator(os)}${input.instance}.log`,
    workingDirectory: input.home,
  };
}

/**
 * The service manager of `os`.
 *
 * @throws {UsageError} On an OS without one here (the BSDs, ...).
 */
export function requireManager(os: Os): ServiceManager {
  const manager = managerFor(os);
  if (manager === undefined) {
    throw new UsageError(
      `pryx-core service supports Linux (systemd), macOS (launchd) and Windows (Task Scheduler), not ${os}; start "pryx-core serve" from your init system instead`,
    );
  }
  return manager;
}

/**
 * How pryx-core is started by a service: a compiled `pryx-core` runs
 * itself; under `deno`, the `pryx-core` first on `PATH` (the installed
 * one); without one, `deno run` of this checkout's `main.ts` with exactly
 * the runtime's permissions ({@linkcode RUNTIME_PERMISSIONS}, the `start`
 * task's).
 *
 * @param execPath `Deno.execPath()`.
 * @param mainPath Absolute path of `main.ts`.
 * @param isFile Injected by tests.
 */
export function findLauncher(
  execPath: string,
  mainPath: string,
  env: EnvGetter,
  os: Os,
  files: LauncherFiles = DENO_FILES,
): Launcher {
  const base = execPath.split(/[\\/]/).pop()!.replace(/\.exe$/i, "");
  if (base !== "deno") return { program: execPath, args: [] };
  const installed = findCommand("pryx-core", env, os, files.isFile);
  if (installed !== undefined && isAbsolute(installed, os)) {
    return { program: installed, args: [] };
  }
  // The `deno` of PATH when it is this one (a link into a version manager's
  // or npx's cache): its name outlives the cache directory it points to.
  const onPath = findCommand("deno", env, os, files.isFile);
  const deno = onPath !== undefined && isAbsolute(onPath, os) &&
      files.realPath(onPath) === files.realPath(execPath)
    ? onPath
    : execPath;
  return { program: deno, args: ["run", ...RUNTIME_PERMISSIONS, mainPath] };
}

/** What {@linkcode findLauncher} asks of the file system (injected by tests). */
export interface LauncherFiles {
  /** Whether a path names a file. */
  isFile: (path: string) => boolean;
  /** The path with every link resolved (the path itself when it cannot be). */
  realPath: (path: string) => string;
}

/** {@linkcode LauncherFiles} of this machine. */
export const DENO_FILES: LauncherFiles = {
  isFile: (path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  },
  realPath: (path) => {
    try {
      return Deno.realPathSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return path;
      throw err;
    }
  },
};

function isAbsolute(path: string, os: Os): boolean {
  return os === "windows"
    ? /^(?:[a-zA-Z]:[\\/]|\\\\)/.test(path)
    : path.startsWith("/");
}

/**
 * Where the manager of `os` reads the service of `instance` from: the
 * systemd user unit directory (`$XDG_CONFIG_HOME/systemd/user`, default
 * `~/.config/systemd/user`), `~/Library/LaunchAgents`; on Windows
 * `undefined` (Task Scheduler keeps its tasks itself: `schtasks /Create
 * /XML` takes the text).
 */
export function servicePath(
  manager: ServiceManager,
  instance: string,
  env: EnvGetter,
  os: Os,
): string | undefined {
  const name = serviceName(manager, instance);
  switch (manager) {
    case "systemd": {
      const config = env("XDG_CONFIG_HOME") ?? expandHome("~/.config", env, os);
      return `${config}/systemd/user/${name}`;
    }
    case "launchd":
      return `${expandHome("~/Library/LaunchAgents", env, os)}/${name}.plist`;
    case "schtasks":
      return undefined;
  }
}

/** The text of `service` for its manager: unit, property list or task XML. */
export function renderService(service: ServiceDescription): string {
  switch (service.manager) {
    case "systemd":
      return systemdUnit(service);
    case "launchd":
      return launchdPlist(service);
    case "schtasks":
      return taskXml(service);
  }
}

/** The header line every text carries, as a comment where the format has one. */
function writtenBy(service: ServiceDescription): string {
  const flag = service.instance === DEFAULT_INSTANCE
    ? ""
    : ` --instance ${service.instance}`;
  return `Written by "pryx-core service install${flag}"; remove it with "pryx-core service uninstall${flag}"`;
}

/**
 * A systemd user unit (systemd.service(5), systemd.exec(5)): `ExecStart`
 * with each argument quoted as systemd splits them, `Restart=on-failure`,
 * the log appended to `<instance>.log`, wanted by `default.target` (the
 * user's login).
 */
export function systemdUnit(service: ServiceDescription): string {
  const exec = [service.program, ...service.args].map(systemdQuote).join(" ");
  const env = Object.entries(service.env).map(([k, v]) =>
    `Environment=${systemdQuote(`${k}=${v}`)}`
  );
  const log = systemdEscape(service.logPath);
  return [
    `# ${writtenBy(service)}`,
    "[Unit]",
    `Description=${systemdEscape(service.description)}`,
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${exec}`,
    ...env,
    `WorkingDirectory=${systemdQuote(service.workingDirectory)}`,
    `Restart=${service.restart.when}`,
    `RestartSec=${service.restart.delaySeconds}`,
    `RestartPreventExitStatus=${service.restart.preventExitCodes.join(" ")}`,
    // The drain takes at most 5 s (SPEC 3); then SIGKILL.
    "TimeoutStopSec=10",
    `StandardOutput=append:${log}`,
    `StandardError=append:${log}`,
    "",
    "[Install]",
    "WantedBy=default.target",
    "",
  ].join("\n");
}

/**
 * One word of a systemd command line: bare when it has only safe
 * characters, else in double quotes with `\` and `"` escaped; `%`
 * (specifiers) and `$` (variable expansion) doubled either way
 * (systemd.service(5), "Command lines").
 */
export function systemdQuote(word: string): string {
  if (/[\n\r\0]/.test(word)) {
    throw new UsageError(
      `Cannot put a line break in a service command line: ${
        JSON.stringify(word)
      }`,
    );
  }
  const escaped = systemdEscape(word).replaceAll("$", () => "$$");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** `%` doubled: a unit's specifier character (systemd.unit(5), "Specifiers"). */
function systemdEscape(text: string): string {
  return text.replaceAll("%", "%%");
}

/**
 * A launchd agent (launchd.plist(5)): `ProgramArguments`, the environment,
 * `RunAtLoad` (at login), `KeepAlive` with `SuccessfulExit` false (restart
 * on failure only), `ThrottleInterval`, the log as stdout and stderr.
 */
export function launchdPlist(service: ServiceDescription): string {
  const str = (s: string) => `<string>${escapeXml(s)}</string>`;
  const args = [service.program, ...service.args].map((a) => `\t\t${str(a)}`);
  const env = Object.entries(service.env).map(([k, v]) =>
    `\t\t<key>${escapeXml(k)}</key>\n\t\t${str(v)}`
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ${escapeXml(writtenBy(service)).replaceAll("--", "- -")} -->
<plist version="1.0">
<dict>
\t<key>Label</key>
\t${str(service.name)}
\t<key>ProgramArguments</key>
\t<array>
${args.join("\n")}
\t</array>
\t<key>EnvironmentVariables</key>
\t<dict>
${env.join("\n")}
\t</dict>
\t<key>WorkingDirectory</key>
\t${str(service.workingDirectory)}
\t<key>RunAtLoad</key>
\t<true/>
\t<key>KeepAlive</key>
\t<dict>
\t\t<key>SuccessfulExit</key>
\t\t<false/>
\t</dict>
\t<key>ThrottleInterval</key>
\t<integer>${service.restart.delaySeconds}</integer>
\t<key>ProcessType</key>
\t<string>Background</string>
\t<key>StandardOutPath</key>
\t${str(service.logPath)}
\t<key>StandardErrorPath</key>
\t${str(service.logPath)}
</dict>
</plist>
`;
}

/**
 * A Task Scheduler task (schema 1.2, the XML `schtasks /Create /XML`
 * takes): at the user's logon, restarted on failure every
 * `delaySeconds` (at least a minute), no time limit, not stopped on
 * battery. Task Scheduler has no environment or output redirection of its
 * own, so the action is `cmd.exe /d /s /c` setting the variable and
 * appending both outputs to the log, each word quoted by `quoteForCmd`.
 *
 * @param userId The account whose logon starts it (`DOMAIN\user`), when known.
 */
export function taskXml(service: ServiceDescription, userId?: string): string {
  const sets = Object.entries(service.env).map(([k, v]) =>
    `set ${quoteForCmd(`${k}=${v}`)}&&`
  ).join(" ");
  const line = [service.program, ...service.args].map(quoteForCmd).join(" ");
  const args = `/d /s /c "${sets} ${line} >> ${
    quoteForCmd(service.logPath)
  } 2>&1"`;
  const minutes = Math.max(1, Math.ceil(service.restart.delaySeconds / 60));
  const user = userId === undefined
    ? ""
    : `\n      <UserId>${escapeXml(userId)}</UserId>`;
  return `<?xml version="1.0" encoding="UTF-16"?>
<!-- ${escapeXml(writtenBy(service)).replaceAll("--", "- -")} -->
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>${escapeXml(service.description)}</Description>
    <URI>${escapeXml(service.name)}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>${user}
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT${minutes}M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>cmd.exe</Command>
      <Arguments>${escapeXml(args)}</Arguments>
      <WorkingDirectory>${
    escapeXml(service.workingDirectory)
  }</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;
}

/** `&`, `<`, `>`, `"` and `'` as XML entities. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  ).replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}
