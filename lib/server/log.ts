/**
 * Logging to stderr, as text lines or one JSON object per line
 * (`--log-format json`, for container log collectors).
 *
 * @module
 */

import { isoTime } from "../shared/iso_time.ts";

/** The two log formats. */
export type LogFormat = "text" | "json";

/** Severity of a log line. */
export type LogLevel = "info" | "warn" | "error";

/** Writes log lines to stderr. */
export interface Logger {
  /** Logs `msg` with optional structured fields. */
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Creates a logger.
 *
 * @param format `text` (default) or `json`.
 * @param quiet Drop `info` lines; warnings and errors still print.
 */
export function createLogger(
  format: LogFormat = "text",
  quiet = false,
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
        : `${level === "info" ? "" : `${level}: `}${msg}`;
      try {
        Deno.stderr.writeSync(encoder.encode(line + "\n"));
      } catch {
        // Dropped, whatever the reason (SPEC 3): whoever read our stderr is
        // gone (a broken pipe), the terminal hung up (EIO), the disk is
        // full (ENOSPC). A line nobody can read is no reason to stop
        // serving, nor to skip a step of the shutdown.
      }
    },
  };
}
