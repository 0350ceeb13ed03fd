/**
 * The subcommands of `pryx-core` and their one-line descriptions: the help
 * (`main.ts`) and the shell completions (`completions.ts`) list them from
 * here.
 *
 * @module
 */

/**
 * The subcommands and their one-line descriptions.
 */
export const SUBCOMMANDS = {
  serve: "start the runtime (the default)",
  discover: "print where a live runtime is",
  list: "list the instances of the state directory",
  stop: "stop a live instance",
  prune: "remove the files of instances whose owner is gone",
  run: "start or reuse a runtime, then run a command against it",
  service: "install, remove or show the login service of an instance",
  completions: "print a shell completion script: bash, zsh or fish",
  doctor: "check what stands between you and a working runtime",
} as const;

/** A subcommand's name. */
export type SubcommandName = keyof typeof SUBCOMMANDS;

/**
 * Commands users guess that pryx-core does not have (from other daemons'
 * CLIs), and what to run instead: said in place of "did you mean".
 */
export const COMMAND_GUESSES: Readonly<Record<string, string>> = {
  start:
    'to start the runtime run "pryx-core serve", or "pryx-core serve --detach" to start it in the background',
  status:
    'to see the runtimes run "pryx-core list", or "pryx-core doctor" to check what is wrong',
  version: 'to print the version run "pryx-core --version"',
};
