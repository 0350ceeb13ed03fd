/**
 * The `pryx-core` command: picks the subcommand and dispatches to it.
 *
 * Each subcommand is loaded on demand, so `discover`, `list` and `stop`
 * never load Hono or the server (their start-up time is a feature).
 *
 * @example
 * ```sh
 * deno task -q start --listen :0
 * deno task -q pryx discover --format url
 * ```
 *
 * @module
 */

import { RUNTIME_PERMISSIONS, VERSION } from "../shared/config.ts";
import { ExitCode, PryxError } from "../shared/errors.ts";
import { importLazily } from "../shared/lazy_import.ts";
import { writeStdout } from "./output.ts";
import {
  COMMAND_GUESSES,
  type SubcommandName,
  SUBCOMMANDS,
} from "./subcommands.ts";

/** The width of the command column of the help: the longest name. */
const COMMAND_COLUMN = Math.max(
  ...Object.keys(SUBCOMMANDS).map((n) => n.length),
);

const USAGE =
  `pryx-core ${VERSION}: a local runtime on whatever port the OS gives it

Usage: pryx-core [COMMAND] [flags]

Commands:
${
    Object.entries(SUBCOMMANDS).map(([name, what]) =>
      `  ${name.padEnd(COMMAND_COLUMN)}  ${what}`
    ).join("\n")
  }

Run "pryx-core COMMAND --help" for the flags of a command.
  -h, --help     show this help
  -V, --version  print the version
`;

type Command = (args: string[]) => Promise<number>;

/** Loads a subcommand's module when it runs (see `lazy_import.ts` for why not `import()`). */
const COMMANDS: Record<SubcommandName, () => Promise<Command>> = {
  serve: async () =>
    (await load<typeof import("./serve.ts")>("./serve.ts")).serveCommand,
  discover: async () =>
    (await load<typeof import("./discover.ts")>("./discover.ts"))
      .discoverCommand,
  list: async () =>
    (await load<typeof import("./list.ts")>("./list.ts")).listCommand,
  stop: async () =>
    (await load<typeof import("./stop.ts")>("./stop.ts")).stopCommand,
  prune: async () =>
    (await load<typeof import("./prune.ts")>("./prune.ts")).pruneCommand,
  run: async () =>
    (await load<typeof import("./run.ts")>("./run.ts")).runCommand,
  service: async () =>
    (await load<typeof import("./service.ts")>("./service.ts")).serviceCommand,
  completions: async () =>
    (await load<typeof import("./completions.ts")>("./completions.ts"))
      .completionsCommand,
  doctor: async () =>
    (await load<typeof import("./doctor.ts")>("./doctor.ts")).doctorCommand,
};

function load<T>(path: string): Promise<T> {
  return importLazily<T>(path, import.meta.url);
}

/**
 * Runs the CLI with `args`.
 *
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (err) {
    if (err instanceof PryxError) {
      console.error(`pryx-core: ${err.message}`);
      return err.exitCode;
    }
    if (
      err instanceof Deno.errors.PermissionDenied ||
      err instanceof Deno.errors.NotCapable
    ) {
      console.error(
        `pryx-core: ${
          err.message.split("\n", 1)[0]
        }; run it as "deno task -q pryx ..." or with ${
          RUNTIME_PERMISSIONS.join(" ")
        }`,
      );
      return ExitCode.Usage;
    }
    throw err;
  }
}

/** Picks the subcommand for `args` and runs it; errors go to {@linkcode main}. */
async function dispatch(args: string[]): Promise<number> {
  let [first, ...rest] = args;
  if (first === "help" && rest.length > 0) {
    // `pryx-core help discover` is `pryx-core discover --help`, as in git.
    [first, rest] = [rest[0], ["--help"]];
  } else if (first === "--help" || first === "-h" || first === "help") {
    writeStdout(USAGE);
    return ExitCode.Ok;
  }
  if (first === "--version" || first === "-V") {
    writeStdout(`${VERSION}\n`);
    return ExitCode.Ok;
  }
  const name = first === undefined || first.startsWith("-") ? "serve" : first;
  const load = Object.hasOwn(COMMANDS, name)
    ? COMMANDS[name as SubcommandName]
    : undefined;
  if (load === undefined && Object.hasOwn(COMMAND_GUESSES, name)) {
    console.error(
      `pryx-core: Unknown command "${name}"; ${COMMAND_GUESSES[name]}`,
    );
    return ExitCode.Usage;
  }
  if (load === undefined) {
    // Loaded only here: a typo is the one path that needs it.
    const { didYouMean } = await importLazily<
      typeof import("./suggest.ts")
    >("./suggest.ts", import.meta.url);
    console.error(
      `pryx-core: Unknown command "${name}"${
        didYouMean(
          name,
          [...Object.keys(SUBCOMMANDS), "help"],
          (command) => command,
          `run "pryx-core --help" for the commands`,
        )
      }`,
    );
    return ExitCode.Usage;
  }
  const command = await load();
  return await command(name === first ? rest : args);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
