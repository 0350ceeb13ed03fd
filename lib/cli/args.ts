/**
 * A small typed command-line flag parser.
 *
 * `@std/cli` is JSR-only here and `node:util`'s `parseArgs` wakes Deno's
 * Node-compatibility layer (10-15 ms of a 33 ms start-up), so `discover`
 * and friends parse with this instead.
 *
 * @module
 */

import { UsageError } from "../shared/errors.ts";
import { didYouMean } from "./suggest.ts";

/** How a flag takes its value. */
export type FlagKind =
  /** `--quiet`: present or not. */
  | "boolean"
  /** `--listen ADDR` or `--listen=ADDR`: exactly one value. */
  | "string"
  /** `--allow-origin O` repeated: every value, in order. */
  | "list"
  /** `--wait [DURATION]`: a value only when one follows that is not a flag. */
  | "optional";

/** The flags a command accepts, by long name (without `--`). */
export type FlagSpec = Record<string, FlagKind>;

/** The parsed value type of each kind. */
type ValueOf<K extends FlagKind> = K extends "boolean" ? boolean
  : K extends "list" ? string[]
  : K extends "optional" ? string | true
  : string;

/** The parsed flags of a spec: absent flags are `undefined`. */
export type ParsedFlags<S extends FlagSpec> = {
  [K in keyof S]?: ValueOf<S[K]>;
};

/** The result of {@linkcode parseFlags}. */
export interface ParsedArgs<S extends FlagSpec> {
  /** Flags by long name. */
  flags: ParsedFlags<S>;
  /** Arguments that are not flags, before any `--`. */
  positionals: string[];
  /** Everything after the first `--`, untouched; `undefined` without `--`. */
  rest: string[] | undefined;
}

/** Options of {@linkcode parseFlags}. */
export interface ParseOptions {
  /**
   * The first argument that is not a flag ends the flags: it and everything
   * after it become `rest`, as after `--`.
   */
  stopAtOperand?: boolean;
  /**
   * The subcommand being parsed (`discover`): errors name it and point at
   * its `--help`.
   */
  command?: string;
  /**
   * Flags users guess that the command does not have, by how they typed
   * them (`--port`, `-p`): each gives the advice for the value that follows
   * (`--listen :8080` for `--port 8080`), said instead of "did you mean".
   */
  guesses?: Readonly<Record<string, (value: string | undefined) => string>>;
}

/**
 * Parses `args` against `spec`. Short aliases map a single letter to a long
 * name (`{ h: "help" }`). An unknown flag is refused with the flags it most
 * likely stands for (`--formt`: did you mean `--format`?), when one is
 * close enough to be a typo.
 *
 * @throws {UsageError} For an unknown flag, a missing value, or a value given
 * to a boolean flag.
 *
 * @example
 * ```ts
 * const { flags } = parseFlags(["--json", "--wait", "5s"], {
 *   json: "boolean",
 *   wait: "optional",
 * });
 * // flags.json === true, flags.wait === "5s"
 * ```
 */
export function parseFlags<S extends FlagSpec>(
  args: readonly string[],
  spec: S,
  aliases: Record<string, keyof S & string> = {},
  options: ParseOptions = {},
): ParsedArgs<S> {
  const { command } = options;
  const flags: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      return {
        flags: flags as ParsedFlags<S>,
        positionals,
        rest: args.slice(i + 1),
      };
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (options.stopAtOperand) {
        // A command and its arguments, as `env`, `sudo` and `npx` take them:
        // `run ls -la` gives "-la" to ls.
        return {
          flags: flags as ParsedFlags<S>,
          positionals,
          rest: args.slice(i),
        };
      }
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const rawName = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const name = rawName.startsWith("--")
      ? rawName.slice(2)
      : aliases[rawName.slice(1)];
    const kind = name === undefined ? undefined : spec[name];
    if (name === undefined || kind === undefined) {
      const guess = options.guesses?.[rawName];
      if (guess !== undefined) {
        const of = command === undefined ? "" : ` for ${command}`;
        throw new UsageError(
          `Unknown flag ${rawName}${of}; ${guess(inline ?? args[i + 1])}`,
        );
      }
      throw unknownFlag(rawName, Object.keys(spec), command);
    }
    switch (kind) {
      case "boolean":
        if (inline !== undefined) {
          throw new UsageError(`Flag "--${name}" takes no value`);
        }
        flags[name] = true;
        break;
      case "optional": {
        const next = args[i + 1];
        if (inline !== undefined) flags[name] = inline;
        else if (next !== undefined && !next.startsWith("-")) {
          flags[name] = next;
          i++;
        } else flags[name] = true;
        break;
      }
      case "string":
      case "list": {
        let value = inline;
        if (value === undefined) {
          value = args[++i];
          if (value === undefined) {
            throw new UsageError(`Flag "--${name}" needs a value`);
          }
        }
        if (kind === "list") {
          ((flags[name] ??= []) as string[]).push(value);
        } else flags[name] = value;
        break;
      }
    }
  }
  return { flags: flags as ParsedFlags<S>, positionals, rest: undefined };
}

/**
 * The error for the unknown flag `raw` (`--formt`, `-format`, `-x`), with
 * the flags of `names` it most likely stands for. A single letter after one
 * dash is an alias of its own, not a typo of a long name: no guess there.
 */
function unknownFlag(
  raw: string,
  names: readonly string[],
  command: string | undefined,
): UsageError {
  const typed = raw.replace(/^--?/, "");
  const run = command === undefined
    ? "run with --help for the flags"
    : `run "pryx-core ${command} --help" for its flags`;
  const tail = raw.startsWith("--") || typed.length > 1
    ? didYouMean(typed, names, (name) => `--${name}`, run)
    : `; ${run}`;
  const of = command === undefined ? "" : ` for ${command}`;
  return new UsageError(`Unknown flag ${raw}${of}${tail}`);
}

/**
 * Parses a duration: `15` (seconds), `15s`, `500ms`, `2m`.
 *
 * @returns Milliseconds.
 * @throws {UsageError} For anything else.
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new UsageError(
      `Invalid duration "${text}": use a number of seconds or a value like 500ms, 15s, 2m`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"]!;
  return Math.round(Number(match[1]) * unit);
}
