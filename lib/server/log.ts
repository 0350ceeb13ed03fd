/**
 * Logging to stderr, as text lines or one JSON object per line
 * (`--log-format json`, for container log collectors); or, for a runtime
 * in the background (`serve --detach`, the runtime `run` starts), to
 * `<instance>.log`, bounded in size: rotated once to `<instance>.log.1`
 * past {@linkcode LOG_MAX_BYTES}.
 *
 * @module
 */

import { LOG_MAX_BYTES } from "../shared/config.ts";
import { isoTime } from "../shared/iso_time.ts";
import { checkTrusted } from "../shared/trust.ts";

/** The two log formats. */
export type LogFormat = "text" | "json";

/** Severity of a log line. */
export type LogLevel = "info" | "warn" | "error";

/** Writes log lines to stderr. */
export interface Logger {
  /** Logs `msg` with optional structured fields. */
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** Where log lines go: one whole line at a time. */
export interface LogSink {
  /**
   * Writes one line (with its newline).
   *
   * @throws Whatever the write throws; the logger drops the line then.
   */
  write(line: Uint8Array): void;
}

/** Standard error. */
export const stderrSink: LogSink = {
  write(line) {
    for (let done = 0; done < line.length;) {
      done += Deno.stderr.writeSync(line.subarray(done));
    }
  },
};

/**
 * A log file of at most `maxBytes`: a line that would take it past that
 * first moves it to `oldPath` (replacing the one there), and a new file is
 * begun. Opened (append, mode 0600) at the first line, and only when its
 * directory may be trusted (SPEC 2: nothing is written into one that may
 * not); until then, and when it cannot be opened, lines go to `fallback`.
 *
 * @param maxBytes Default {@linkcode LOG_MAX_BYTES}.
 */
export function fileSink(
  path: string,
  oldPath: string,
  dir: string,
  maxBytes: number = LOG_MAX_BYTES,
  fallback: LogSink = stderrSink,
): LogSink {
  let file: Deno.FsFile | undefined;
  let size = 0;
  const open = (): Deno.FsFile | undefined => {
    try {
      checkTrusted(dir);
      file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
      size = file.statSync().size;
      return file;
    } catch {
      // Not there yet, not trusted, not writable: stderr, as without a file.
      return undefined;
    }
  };
  return {
    write(line) {
      const out = file ?? open();
      if (out === undefined) return fallback.write(line);
      if (size > 0 && size + line.length > maxBytes) {
        out.close();
        file = undefined;
        Deno.renameSync(path, oldPath);
        const fresh = open();
        if (fresh === undefined) return fallback.write(line);
        return writeLine(fresh, line, (n) => size += n);
      }
      writeLine(out, line, (n) => size += n);
    },
  };
}

/** Writes all of `line` to `file`, counting what was written. */
function writeLine(
  file: Deno.FsFile,
  line: Uint8Array,
  count: (bytes: number) => void,
): void {
  for (let done = 0; done < line.length;) {
    const n = file.writeSync(line.subarray(done));
    done += n;
    count(n);
  }
}

/**
 * Creates a logger.
 *
 * @param format `text` (default) or `json`.
 * @param quiet Drop `info` lines; warnings and errors still print.
 * @param sink Where lines go (default {@linkcode stderrSink}).
 * @param stamped Begin each text line with its time (a log file has no
 * collector that adds one); JSON lines always carry `time`.
 */
export function createLogger(
  format: LogFormat = "text",
  quiet = false,
  sink: LogSink = stderrSink,
  stamped = false,
): Logger {
  const encoder = new TextEncoder();
  return {
    log(level, msg, fields = {}) {
      if (quiet && level === "info") return;
      const line = format === "json"
        ? JSON.stringify({
          time: isoTime(),
          level,
          msg,
          ...fields,
        })
        : `${stamped ? `${isoTime()} ` : ""}${
          level === "info" ? "" : `${level}: `
        }${msg}`;
      try {
        sink.write(encoder.encode(line + "\n"));
      } catch {
        // Dropped, whatever the reason (SPEC 3): whoever read our stderr is
        // gone (a broken pipe), the terminal hung up (EIO), the disk is
        // full (ENOSPC). A line nobody can read is no reason to stop
        // serving, nor to skip a step of the shutdown.
      }
    },
  };
}
