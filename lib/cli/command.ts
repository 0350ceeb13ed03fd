/**
 * The opening every subcommand shares: parse its flags, answer `--help` (and
 * `--version` where it has one), and refuse stray arguments, in one place so
 * every subcommand behaves the same way.
 *
 * @module
 */

import { VERSION } from "../shared/config.ts";
import { ExitCode, UsageError } from "../shared/errors.ts";
import {
  type FlagSpec,
  type ParsedFlags,
  parseFlags,
  type ParseOptions,
} from "./args.ts";
import { writeStdout } from "./output.ts";
import { didYouMean } from "./suggest.ts";

/** What a subcommand declares about its command line. */
export interface CommandSpec<S extends FlagSpec> {
  /** The subcommand's name, for messages (`discover`). */
  name: string;
  /** The help text `--help` prints. */
  usage: string;
  /** Its flags; `help` (`-h`) is added, and `version` (`-V`) when asked. */
  flags: S;
  /** One-letter aliases of its own flags (`{ q: "quiet" }`). */
  aliases?: Record<string, keyof S & string>;
  /** Also answer `--version` / `-V`. */
  version?: boolean;
  /**
   * `"command"`: the first argument that is not a flag (or everything after
   * `--`) starts a command line of its own, returned as `operands`.
   * Otherwise the subcommand takes flags only.
   */
  operands?: "command";
  /** Flags users guess that it does not have, and the advice for each. */
  guesses?: ParseOptions["guesses"];
}

/** The outcome of {@linkcode openCommand}. */
export type Opened<S extends FlagSpec> =
  /** `--help` or `--version` was answered: exit with this code. */
  | { done: ExitCode }
  /** Go on with these flags and operands (empty unless `operands` is set). */
  | { done?: undefined; flags: ParsedFlags<S>; operands: string[] };

const COMMON = { help: "boolean", version: "boolean" } as const;

/**
 * Opens a subcommand: parses `args`, prints the usage for `--help` and the
 * version for `--version`, and refuses arguments the subcommand does not
 * take.
 *
 * @throws {UsageError} For unknown flags (naming the one likely meant),
 * missing values and stray arguments.
 *
 * @example
 * ```ts
 * const opened = openCommand(["--json"], { name: "list", usage: "...", flags: { json: "boolean" } });
 * if (opened.done === undefined) console.log(opened.flags.json); // true
 * ```
 */
export function openCommand<S extends FlagSpec>(
  args: readonly string[],
  spec: CommandSpec<S>,
): Opened<S> {
  const flagSpec = spec.version
    ? { ...spec.flags, ...COMMON }
    : { ...spec.flags, help: COMMON.help };
  const aliases: Record<string, string> = { h: "help", ...spec.aliases };
  if (spec.version) aliases.V = "version";
  const { flags, positionals, rest } = parseFlags(
    args,
    flagSpec as FlagSpec,
    aliases,
    {
      stopAtOperand: spec.operands === "command",
      command: spec.name,
      ...(spec.guesses === undefined ? {} : { guesses: spec.guesses }),
    },
  );
  const common = flags as { help?: boolean; version?: boolean };
  if (common.help) {
    writeStdout(spec.usage);
    return { done: ExitCode.Ok };
  }
  if (common.version) {
    writeStdout(`${VERSION}\n`);
    return { done: ExitCode.Ok };
  }
  if (spec.operands === "command") {
    return { flags: flags as ParsedFlags<S>, operands: rest ?? [] };
  }
  if (positionals.length > 0 || rest !== undefined) {
    // `list json`: a flag without its dashes.
    const stray = positionals[0] ?? "--";
    throw new UsageError(
      `Unexpected argument "${stray}": ${spec.name} takes flags only${
        didYouMean(
          stray,
          Object.keys(flagSpec),
          (name) => `--${name}`,
          `run "pryx-core ${spec.name} --help"`,
        )
      }`,
    );
  }
  return { flags: flags as ParsedFlags<S>, operands: [] };
}
