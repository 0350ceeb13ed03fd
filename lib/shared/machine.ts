/**
 * The `machine` of an instance record (SPEC 2): an opaque string that
 * differs between machines and between the network namespaces of one
 * machine, so a reader can tell a record written on another host (an NFS
 * home) or in a container that mounts the state directory from one of its
 * own, whose loopback URL it may use.
 *
 * It is the host name (the UTS name, uname(2)): a container gets one of its
 * own unless it shares the host's (`--uts=host`), and the hosts of an NFS
 * home have their own. SPEC 2 asks for the boot id and the network
 * namespace on Linux; Deno refuses every `/proc` path to anything short of
 * `--allow-all` ("Requires all access to /proc/self"), which the runtime
 * does not take, and a Node client must compute the same string, so the
 * host name (`--allow-sys=hostname`; `os.hostname()` on Node) is what both
 * sides can read. A reader that cannot read it counts no record as another
 * machine's.
 *
 * @module
 */

/**
 * The machine named by a host name, as both the Deno and the Node side
 * compute it.
 *
 * @returns The trimmed host name, or `undefined` when it is unknown or
 * empty.
 */
export function machineOf(hostname: string | undefined): string | undefined {
  const name = hostname?.trim();
  return name === undefined || name === "" ? undefined : name;
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

let cached: { value: string | undefined } | undefined;

/** This Deno process's machine, read once ({@linkcode machineOf}). */
export function currentMachine(): string | undefined {
  return (cached ??= { value: machineOf(denoHostname()) }).value;
}

/** The host name, where `--allow-sys=hostname` lets Deno read it. */
function denoHostname(): string | undefined {
  return Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
      "granted"
    ? Deno.hostname()
    : undefined;
}
