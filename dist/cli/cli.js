// Generated from lib/ by `deno task build` (scripts/build_cli.ts): do not edit.
var isPryxError = (function isPryxError(err) {
  return typeof err === "object" && err !== null && err[BRAND] === true;
});
var main = (async function main(args) {
  const [first, ...rest] = args;
  if (first === "--help" || first === "-h" || first === "help") {
    console.log(USAGE);
    return ExitCode.Ok;
  }
  if (first === "--version" || first === "-V") {
    console.log(VERSION);
    return ExitCode.Ok;
  }
  const name = first === void 0 || first.startsWith("-") ? "serve" : first;
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : void 0;
  if (load === void 0) {
    console.error(`pryx-core: unknown command "${name}"; run "pryx-core --help" for the commands`);
    return ExitCode.Usage;
  }
  try {
    const command = await load();
    return await command(name === first ? rest : args);
  } catch (err) {
    if (isPryxError(err)) {
      console.error(`pryx-core: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      console.error(`pryx-core: ${err.message.split("\n", 1)[0]}; run it as "deno task pryx ..." or with ${RUNTIME_PERMISSIONS.join(" ")}`);
      return ExitCode.Usage;
    }
    throw err;
  }
});
// lib/errors.ts
var ExitCode = {
  /** Success. */
  Ok: 0,
  /** Nothing found, nothing running. */
  NotFound: 1,
  /** Usage error or bad input. */
  Usage: 2,
  /** Could not bind the listen address. */
  Bind: 3,
  /** The instance is already owned by a live process. */
  AlreadyRunning: 4,
  /** The state directory cannot be used. */
  StateDir: 5
};
var BRAND = Symbol.for("pryx-core.PryxError");
var PryxError = class extends Error {
  /** The process exit code for this error. */
  exitCode;
  /** See {@linkcode isPryxError}. */
  [BRAND] = true;
  /**
   * @param message One line, sentence case, no trailing period.
   * @param exitCode The exit code of SPEC section 7.
   */
  constructor(message, exitCode) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
};

// lib/config.ts
var VERSION = "0.1.0";
var MAX_MESSAGE_BYTES = 1024 * 1024;
var RUNTIME_PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run"
];

// lib/cli.ts
var USAGE = `pryx-core ${VERSION}: a local runtime on whatever port the OS gives it

Usage: pryx-core [COMMAND] [flags]

Commands:
  serve       start the runtime (the default)
  discover    print where a live runtime is
  list        list the instances of the state directory
  stop        stop a live instance
  run         start or reuse a runtime, then run a command against it

Run "pryx-core COMMAND --help" for the flags of a command.
  -h, --help     show this help
  -V, --version  print the version
`;
var COMMANDS = {
  serve: async () => (await import("./cmd_serve.js")).serveCommand,
  discover: async () => (await import("./cmd_discover.js")).discoverCommand,
  list: async () => (await import("./cmd_list.js")).listCommand,
  stop: async () => (await import("./cmd_stop.js")).stopCommand,
  run: async () => (await import("./cmd_run.js")).runCommand
};
if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
export {
  main
};
