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
  completions: "print a shell completion script: bash, zsh or fish",
  doctor: "check what stands between you and a working runtime",
} as const;

/** A subcommand's name. */
export type SubcommandName = keyof typeof SUBCOMMANDS;
