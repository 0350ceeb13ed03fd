/**
 * The `machine` of an instance record (SPEC 2): an opaque string that
 * differs between machines and between network namespaces of one machine,
 * so a reader can tell a record written on another host (an NFS home) or in
 * another network namespace (a container that mounts the state directory)
 * from one of its own, whose loopback URL it may use.
 *
 * Linux: the UTS host name, the boot id (`/proc/sys/kernel/random/boot_id`,
 * proc(5)) and the inode of the network namespace (`/proc/self/ns/net`,
 * namespaces(7)). Elsewhere: the host name, where Deno may read it
 * (`--allow-sys=hostname`); else it is unknown and no record counts as
 * another machine's. The host name comes first so messages can name the
 * machine ({@linkcode machineName}).
 *
 * @module
 */

/** What reading the machine needs from the OS: files, links, the host name. */
export interface MachineSource {
  /** The OS (`Deno.build.os`). */
  os: string;
  /** Reads a text file; `undefined` when it cannot be read. */
  readText(path: string): string | undefined;
  /** Reads a symbolic link; `undefined` when it cannot be read. */
  readLink(path: string): string | undefined;
  /** The host name; `undefined` when it may not be read. */
  hostname(): string | undefined;
}

/**
 * The machine of this process, from `source`.
 *
 * @returns `host:bootId:netns` on Linux, the host name elsewhere, or
 * `undefined` when nothing identifies it.
 *
 * @example
 * ```ts
 * machineOf(fakeLinux); // "box:0f1e...:4026531840"
 * ```
 */
export function machineOf(source: MachineSource): string | undefined {
  if (source.os === "linux") {
    const boot = source.readText("/proc/sys/kernel/random/boot_id")?.trim();
    const ns = /\[(\d+)\]/.exec(source.readLink("/proc/self/ns/net") ?? "")
      ?.[1];
    if (boot === undefined || ns === undefined) return undefined;
    const host = source.readText("/proc/sys/kernel/hostname")?.trim() ??
      "linux";
    return `${host}:${boot}:${ns}`;
  }
  return source.hostname();
}

/** The part of a `machine` a person recognises: its host name. */
export function machineName(machine: string): string {
  const colon = machine.indexOf(":");
  return colon < 0 ? machine : machine.slice(0, colon);
}

/**
 * Whether a record's `machine` names another machine than `ours`: only when
 * both are known and differ (records of older versions have none).
 */
export function isOtherMachine(
  theirs: string | undefined,
  ours: string | undefined,
): boolean {
  return theirs !== undefined && ours !== undefined && theirs !== ours;
}

/** The {@linkcode MachineSource} of the running Deno process. */
export function denoMachineSource(): MachineSource {
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      if (err instanceof Deno.errors.NotCapable) return undefined;
      if (err instanceof Deno.errors.PermissionDenied) return undefined;
      throw err;
    }
  };
  return {
    os: Deno.build.os,
    readText: (path) => attempt(() => Deno.readTextFileSync(path)),
    readLink: (path) => attempt(() => Deno.readLinkSync(path)),
    hostname: () =>
      Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
          "granted"
        ? Deno.hostname()
        : undefined,
  };
}

let cached: { value: string | undefined } | undefined;

/** This Deno process's machine, read once ({@linkcode machineOf}). */
export function currentMachine(): string | undefined {
  return (cached ??= { value: machineOf(denoMachineSource()) }).value;
}
