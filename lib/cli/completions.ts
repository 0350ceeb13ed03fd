/**
 * `pryx-core completions bash|zsh|fish`: prints a shell completion script
 * that completes the subcommands, each subcommand's flags (from the flag
 * specs of the subcommands themselves), a few flag values, and live
 * instance names for `--instance`, which the script asks this program for
 * at completion time (`pryx-core completions --instances`, a directory
 * read: no health checks, so a Tab press never waits on the network).
 *
 * @example
 * ```sh
 * source <(pryx-core completions bash)                       # ~/.bashrc
 * pryx-core completions zsh > ~/.zfunc/_pryx-core           # zsh (fpath=(~/.zfunc $fpath))
 * pryx-core completions fish > ~/.config/fish/completions/pryx-core.fish
 * ```
 *
 * @module
 */

import type { FlagSpec } from "./args.ts";
import { openCommand } from "./command.ts";
import { FLAGS as DISCOVER_FLAGS } from "./discover.ts";
import { FLAGS as LIST_FLAGS } from "./list.ts";
import { type SubcommandName, SUBCOMMANDS } from "./subcommands.ts";
import { FLAGS as RUN_FLAGS } from "./run.ts";
import { FLAGS as SERVE_FLAGS } from "./serve.ts";
import { FLAGS as STOP_FLAGS } from "./stop.ts";
import { FLAGS as PRUNE_FLAGS } from "./prune.ts";
import { FLAGS as DOCTOR_FLAGS } from "./doctor.ts";
import {
  ACTIONS as SERVICE_ACTIONS,
  COMPLETION_FLAGS as SERVICE_FLAGS,
} from "./service.ts";
import {
  Env,
  envReader,
  readDenoEnv,
  resolveStateDir,
} from "../shared/config.ts";
import { writeStdout } from "./output.ts";
import { instanceOfFile, Suffix } from "../shared/instance_files.ts";
import { ExitCode, UsageError } from "../shared/errors.ts";

/** The shells a script is printed for. */
const SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@linkcode SHELLS}. */
export type Shell = typeof SHELLS[number];

/** Help text of `pryx-core completions`. */
const COMPLETIONS_USAGE = `Usage: pryx-core completions bash|zsh|fish

Print a completion script for the shell: subcommands, flags, and the
instance names of the state directory for --instance.

  bash:  source <(pryx-core completions bash)        (e.g. in ~/.bashrc)
  zsh:   mkdir -p ~/.zfunc && pryx-core completions zsh > ~/.zfunc/_pryx-core,
         then in ~/.zshrc: fpath=(~/.zfunc $fpath); compinit
  fish:  pryx-core completions fish > ~/.config/fish/completions/pryx-core.fish

Flags:
  --instances        print the instance names of the state directory, one a
                     line (what the scripts call)
  --state-dir DIR    with --instances: the state directory (env ${Env.home})
  -h, --help         show this help
`;

/** The flags of `completions`. */
export const FLAGS = {
  instances: "boolean",
  "state-dir": "string",
} as const;

/**
 * Every subcommand's flags, by subcommand: the specs the subcommands parse
 * with, plus `--help` (and `--version` for `serve`) that `openCommand`
 * adds.
 */
const SUBCOMMAND_FLAGS: Record<SubcommandName, FlagSpec> = {
  serve: { ...SERVE_FLAGS, help: "boolean", version: "boolean" },
  discover: { ...DISCOVER_FLAGS, help: "boolean" },
  list: { ...LIST_FLAGS, help: "boolean" },
  stop: { ...STOP_FLAGS, help: "boolean" },
  prune: { ...PRUNE_FLAGS, help: "boolean" },
  run: { ...RUN_FLAGS, help: "boolean" },
  service: SERVICE_FLAGS,
  completions: { ...FLAGS, help: "boolean" },
  doctor: { ...DOCTOR_FLAGS, help: "boolean" },
};

/** Fixed choices of flag values, by flag name. */
const FLAG_VALUES: Record<string, readonly string[]> = {
  format: ["port", "url", "ws", "json", "env"],
  auth: ["none", "token"],
  "log-format": ["text", "json"],
};

/** Flags whose value is a directory. */
const DIR_FLAGS = new Set(["state-dir"]);

/**
 * Runs `completions` with command-line `args`.
 *
 * @returns The exit code.
 * @throws {UsageError} Without a known shell.
 */
export function completionsCommand(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    name: "completions",
    usage: COMPLETIONS_USAGE,
    flags: FLAGS,
    operands: "command",
  });
  if (opened.done !== undefined) return Promise.resolve(opened.done);
  const { flags, operands } = opened;
  if (flags.instances) {
    const dir = resolveStateDir(flags["state-dir"], envReader(readDenoEnv));
    for (const name of instanceNames(dir)) writeStdout(`${name}\n`);
    return Promise.resolve(ExitCode.Ok);
  }
  const [shell, ...extra] = operands;
  if (
    shell === undefined || extra.length > 0 ||
    !(SHELLS as readonly string[]).includes(shell)
  ) {
    throw new UsageError(
      `completions needs one shell, one of ${
        SHELLS.join(", ")
      }: pryx-core completions bash`,
    );
  }
  writeStdout(`${completionScript(shell as Shell)}\n`);
  return Promise.resolve(ExitCode.Ok);
}

/**
 * The instance names of the state directory `dir`, sorted, from the names
 * of its files; none when it cannot be read. Only names with a record
 * (`.port` or `.json`: live, starting or stale): a lock file, an error
 * record or a log alone is what a clean stop or a failed start leaves, a
 * dead name nothing can be done with.
 */
export function instanceNames(dir: string): string[] {
  const names = new Set<string>();
  try {
    for (const entry of Deno.readDirSync(dir)) {
      const name = instanceOfFile(entry.name);
      if (
        name !== undefined &&
        (entry.name === name + Suffix.port || entry.name === name + Suffix.json)
      ) names.add(name);
    }
  } catch {
    // No state directory yet: no names.
  }
  return [...names].sort();
}

/** The completion script for `shell`. */
function completionScript(shell: Shell): string {
  switch (shell) {
    case "bash":
      return bashScript();
    case "zsh":
      return zshScript();
    case "fish":
      return fishScript();
  }
}

/** `--name` for each flag of a spec, in order. */
function longFlags(spec: FlagSpec): string[] {
  return Object.keys(spec).map((name) => `--${name}`);
}

/** Flags that take a value (so the next word is that value). */
function valueFlags(): string[] {
  const names = new Set<string>();
  for (const spec of Object.values(SUBCOMMAND_FLAGS)) {
    for (const [name, kind] of Object.entries(spec)) {
      if (kind === "string" || kind === "list") names.add(`--${name}`);
    }
  }
  return [...names].sort();
}

function bashScript(): string {
  const names = Object.keys(SUBCOMMANDS);
  const perCommand = Object.entries(SUBCOMMAND_FLAGS).map(([cmd, spec]) =>
    `    ${cmd}) flags="${longFlags(spec).join(" ")}" ;;`
  ).join("\n");
  const values = Object.entries(FLAG_VALUES).map(([flag, choices]) =>
    `    --${flag}) COMPREPLY=($(compgen -W "${
      choices.join(" ")
    }" -- "$cur")); return 0 ;;`
  ).join("\n");
  return `# bash completion for pryx-core (pryx-core completions bash)
_pryx_core() {
  local cur prev cmd flags i state_dir
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W "${names.join(" ")} --help --version" -- "$cur"))
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  [[ "$cmd" == -* ]] && cmd=serve
  state_dir=""
  for (( i = 1; i < COMP_CWORD; i++ )); do
    if [[ "\${COMP_WORDS[i]}" == "--" && "$cmd" == run ]]; then
      # CMD and its arguments: commands, then files.
      if (( i == COMP_CWORD - 1 )); then
        COMPREPLY=($(compgen -c -- "$cur"))
      else
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      return 0
    fi
    [[ "\${COMP_WORDS[i]}" == --state-dir ]] && state_dir="\${COMP_WORDS[i+1]}"
  done
  case "$prev" in
    --instance)
      local -a dir_args=()
      [[ -n "$state_dir" ]] && dir_args=(--state-dir "$state_dir")
      COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" completions --instances "\${dir_args[@]}" 2>/dev/null)" -- "$cur"))
      return 0 ;;
    ${[...DIR_FLAGS].map((f) => `--${f}`).join("|")})
      COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
${values}
    completions)
      [[ "$cmd" == completions ]] && COMPREPLY=($(compgen -W "${
    SHELLS.join(" ")
  }" -- "$cur")) && return 0 ;;
    service)
      [[ "$cmd" == service ]] && COMPREPLY=($(compgen -W "${
    SERVICE_ACTIONS.join(" ")
  }" -- "$cur")) && return 0 ;;
    ${valueFlags().join("|")})
      return 0 ;;
  esac
  case "$cmd" in
${perCommand}
    *) return 0 ;;
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _pryx_core pryx-core`;
}

function zshScript(): string {
  const described = Object.entries(SUBCOMMANDS).map(([name, what]) =>
    `    '${name}:${what.replaceAll("'", "'\\''")}'`
  ).join("\n");
  const perCommand = Object.entries(SUBCOMMAND_FLAGS).map(([cmd, spec]) =>
    `    ${cmd}) flags=(${longFlags(spec).join(" ")}) ;;`
  ).join("\n");
  const values = Object.entries(FLAG_VALUES).map(([flag, choices]) =>
    `    --${flag}) compadd -- ${choices.join(" ")}; return ;;`
  ).join("\n");
  return `#compdef pryx-core
# zsh completion for pryx-core (pryx-core completions zsh)
_pryx_core() {
  local cmd prev state_dir i
  local -a flags subcommands dir_args
  subcommands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'pryx-core command' subcommands
    compadd -- --help --version
    return
  fi
  cmd=\${words[2]}
  [[ $cmd == -* ]] && cmd=serve
  prev=\${words[CURRENT-1]}
  for (( i = 2; i < CURRENT; i++ )); do
    if [[ \${words[i]} == -- && $cmd == run ]]; then
      if (( i == CURRENT - 1 )); then _command_names -e; else _files; fi
      return
    fi
    [[ \${words[i]} == --state-dir ]] && state_dir=\${words[i+1]}
  done
  case $prev in
    --instance)
      [[ -n $state_dir ]] && dir_args=(--state-dir "$state_dir")
      compadd -- \${(f)"$(\${words[1]} completions --instances "\${dir_args[@]}" 2>/dev/null)"}
      return ;;
    ${[...DIR_FLAGS].map((f) => `--${f}`).join("|")}) _files -/; return ;;
${values}
    ${valueFlags().join("|")}) return ;;
  esac
  if [[ $cmd == completions && $prev == completions ]]; then
    compadd -- ${SHELLS.join(" ")}
    return
  fi
  if [[ $cmd == service && $prev == service ]]; then
    compadd -- ${SERVICE_ACTIONS.join(" ")}
    return
  fi
  case $cmd in
${perCommand}
    *) return ;;
  esac
  compadd -- $flags
}
# Autoloaded from $fpath as _pryx-core: complete now; sourced: register.
if [[ $funcstack[1] == _pryx-core ]]; then
  _pryx_core "$@"
else
  compdef _pryx_core pryx-core
fi`;
}

function fishScript(): string {
  const lines = [
    "# fish completion for pryx-core (pryx-core completions fish)",
    "complete -c pryx-core -f",
    "complete -c pryx-core -n __fish_use_subcommand -s h -l help -d 'show the help'",
    "complete -c pryx-core -n __fish_use_subcommand -s V -l version -d 'print the version'",
  ];
  for (const [name, what] of Object.entries(SUBCOMMANDS)) {
    lines.push(
      `complete -c pryx-core -n __fish_use_subcommand -a ${name} -d ${
        fishQuote(what)
      }`,
    );
  }
  const instances = "(__fish_pryx_core_instances)";
  for (const [cmd, spec] of Object.entries(SUBCOMMAND_FLAGS)) {
    const when = `-n '__fish_seen_subcommand_from ${cmd}'`;
    for (const [name, kind] of Object.entries(spec)) {
      let tail = "";
      if (name === "instance") tail = ` -x -a '${instances}'`;
      else if (DIR_FLAGS.has(name)) {
        tail = " -x -a '(__fish_complete_directories)'";
      } else if (FLAG_VALUES[name]) {
        tail = ` -x -a '${FLAG_VALUES[name].join(" ")}'`;
      } else if (kind === "string" || kind === "list") tail = " -x";
      lines.push(`complete -c pryx-core ${when} -l ${name}${tail}`);
    }
  }
  lines.push(
    `complete -c pryx-core -n '__fish_seen_subcommand_from completions' -a '${
      SHELLS.join(" ")
    }'`,
    `complete -c pryx-core -n '__fish_seen_subcommand_from service; and not __fish_seen_subcommand_from ${
      SERVICE_ACTIONS.join(" ")
    }' -a '${SERVICE_ACTIONS.join(" ")}'`,
    // After `run --`: CMD, then its arguments, as fish completes them.
    "complete -c pryx-core -n '__fish_seen_subcommand_from run; and contains -- -- (commandline -opc)' -x -a '(__fish_pryx_core_cmd)'",
  );
  return `${lines.join("\n")}
function __fish_pryx_core_cmd
    set -l tokens (commandline -opc)
    set -l i (contains -i -- -- $tokens)
    complete -C (string join -- ' ' $tokens[(math $i + 1)..-1] (commandline -ct))
end
function __fish_pryx_core_instances
    set -l tokens (commandline -opc)
    set -l dir_args
    set -l i (contains -i -- --state-dir $tokens)
    and set dir_args --state-dir $tokens[(math $i + 1)]
    $tokens[1] completions --instances $dir_args 2>/dev/null
end`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}
