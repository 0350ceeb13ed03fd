/**
 * The OS a branch of the code is for, as Deno names it (`Deno.build.os`):
 * behaviour that depends on the OS takes one as a parameter, so every
 * branch is tested on any OS.
 *
 * @module
 */

/** An OS as `Deno.build.os` names it: `linux`, `darwin`, `windows`, ... */
export type Os = typeof Deno.build.os;

/** The path separator of `os`: `\\` on Windows, `/` elsewhere. */
export function pathSeparator(os: Os): string {
  return os === "windows" ? "\\" : "/";
}

/**
 * The OS this process runs on, as {@linkcode Os} names it: `Deno.build.os`
 * on Deno; on Node and Bun from `process.platform` (`win32` is `windows`,
 * `sunos` is `solaris`), for the parts the client module shares.
 */
export function hostOs(): Os {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno !== undefined) return deno.build.os;
  const platform = (globalThis as { process?: { platform?: string } }).process
    ?.platform;
  if (platform === "win32") return "windows";
  if (platform === "sunos") return "solaris";
  return (platform ?? "linux") as Os;
}

/**
 * The signals Deno lets a process listen for on Windows: SIGINT (Ctrl-C),
 * SIGBREAK (Ctrl-Break), SIGHUP (the console window closing), and since
 * Deno 2.8 SIGTERM and SIGQUIT (denoland/deno#32689; the Deno manual,
 * `Deno.addSignalListener`, "Windows support"). Sending one with
 * `Deno.kill` is `TerminateProcess` there, whatever the signal: nothing to
 * catch, which is why `stop` asks over HTTP.
 */
const WINDOWS_LISTENABLE: readonly Deno.Signal[] = [
  "SIGINT",
  "SIGBREAK",
  "SIGHUP",
  "SIGTERM",
  "SIGQUIT",
];

/**
 * Of the signals `wanted` on Unix, those a process can listen for on `os`;
 * on Windows SIGBREAK joins SIGINT, as the console's other interrupt key.
 */
export function listenableSignals(
  wanted: readonly Deno.Signal[],
  os: Os,
): Deno.Signal[] {
  if (os !== "windows") return [...wanted];
  const on = wanted.filter((s) => WINDOWS_LISTENABLE.includes(s));
  if (on.includes("SIGINT")) on.splice(on.indexOf("SIGINT") + 1, 0, "SIGBREAK");
  return on;
}
