/**
 * The per-user service managers `pryx-core service` installs a runtime
 * with, one per OS (SPEC 5): a systemd user unit on Linux, a launchd agent
 * on macOS, a Task Scheduler task on Windows. What they are called and how
 * a person stops one is said here, once, for `service` and for `stop` of a
 * runtime a manager runs (its `<instance>.json` has `service`, from the
 * unit's `PRYX_SERVICE`).
 *
 * @module
 */

import { DEFAULT_INSTANCE } from "./config.ts";
import type { Os } from "./os.ts";

/** A service manager, as `PRYX_SERVICE` and the `service` field name it. */
export type ServiceManager = "systemd" | "launchd" | "schtasks";

const MANAGERS: readonly ServiceManager[] = ["systemd", "launchd", "schtasks"];

/**
 * The manager of `os`, or `undefined` where `pryx-core service` has none
 * (the BSDs, ...).
 */
export function managerFor(os: Os): ServiceManager | undefined {
  switch (os) {
    case "linux":
      return "systemd";
    case "darwin":
      return "launchd";
    case "windows":
      return "schtasks";
    default:
      return undefined;
  }
}

/** `value` as a {@linkcode ServiceManager}, or `undefined` for anything else. */
export function parseServiceManager(
  value: unknown,
): ServiceManager | undefined {
  return MANAGERS.includes(value as ServiceManager)
    ? value as ServiceManager
    : undefined;
}

/**
 * The name the manager knows the service of `instance` by: the systemd
 * unit `pryx-core-<instance>.service`, the launchd label
 * `dev.pryx-core.<instance>`, the task `\pryx-core\<instance>`.
 */
export function serviceName(manager: ServiceManager, instance: string): string {
  switch (manager) {
    case "systemd":
      return `pryx-core-${instance}.service`;
    case "launchd":
      return `dev.pryx-core.${instance}`;
    case "schtasks":
      return `\\pryx-core\\${instance}`;
  }
}

/**
 * The commands that stop the service of `instance` for good (until it is
 * enabled again), for a person to run.
 */
export function disableCommand(
  manager: ServiceManager,
  instance: string,
): string {
  const name = serviceName(manager, instance);
  switch (manager) {
    case "systemd":
      return `systemctl --user disable --now ${name}`;
    case "launchd":
      return `launchctl bootout gui/$(id -u)/${name}`;
    case "schtasks":
      return `schtasks /Change /TN "${name}" /Disable`;
  }
}

/**
 * What `stop` adds after stopping a runtime that `manager` runs: the
 * manager restarts it only when it fails (a stop is a clean exit), and
 * starts it again at the next login; how to keep it stopped.
 */
export function managedStopWords(
  manager: ServiceManager,
  instance: string,
): string {
  const flag = instance === DEFAULT_INSTANCE ? "" : ` --instance ${instance}`;
  return `instance "${instance}" is a service of ${manager} (${
    serviceName(manager, instance)
  }), which starts it again at the next login; to keep it stopped run "${
    disableCommand(manager, instance)
  }", or "pryx-core service uninstall${flag}" to remove the service`;
}
