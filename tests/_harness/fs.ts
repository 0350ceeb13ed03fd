/**
 * File-system helpers for tests.
 *
 * @module
 */

/** Whether anything (file, directory, dangling symlink) exists at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Whether process `pid` is running (Linux `/proc`): a zombie that waits
 * for its parent (or for PID 1) to reap it has exited, and counts as gone.
 */
export function isRunning(pid: number): boolean {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  // The state follows the command name, which is in parentheses (proc(5)).
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !==
    "Z";
}
