/**
 * `deno task compile [TARGET]`: builds the single `pryx-core` binary with
 * `deno compile`.
 *
 * Steps, each of which stops the build with one clear line on failure:
 * 1. check the target and find the base binary (`denort`): `DENORT_BIN`
 *    (whose executable header must name the target's OS and architecture),
 *    else a `denort-TARGET.zip` in Deno's download cache (which must match
 *    the published SHA-256 saved beside it, see `_denort.ts`), else
 *    Deno's download cache, else a short probe of the download URL, so an
 *    offline machine is told what to do in seconds rather than after a
 *    network timeout;
 * 2. `deno check main.ts`;
 * 3. verify the module graph with `deno info --json`: every module of
 *    `lib/cli/` and `lib/server/` must be in it. Subcommands, the app and
 *    the other modules a path needs late are loaded with `importLazily()`
 *    (`lib/shared/lazy_import.ts`), which `deno info` follows through the
 *    type of each call but `deno compile` does not;
 * 4. `deno compile` with the permissions of `deno task start` (read from
 *    `deno.json`, never `-A`) and an `--include` for every local module of
 *    that graph, so the binary embeds the lazily loaded ones;
 * 5. for the host target, run `<binary> --version` as a smoke test, which
 *    also catches a `DENORT_BIN` that is not a `denort` (e.g. the `deno` CLI).
 *
 * @example
 * ```sh
 * deno task compile                            # ./pryx-core for this machine
 * deno task compile aarch64-unknown-linux-gnu  # ./pryx-core-aarch64-unknown-linux-gnu
 * DENORT_BIN=/opt/denort-2.9.6 deno task compile
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { VERSION } from "../lib/shared/config.ts";
import { denortMismatch, readHeader, verifyCachedZip } from "./_denort.ts";

/** The targets `deno compile` can build for. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
  "aarch64-pc-windows-msvc",
] as const;

/** One of {@linkcode TARGETS}. */
export type Target = typeof TARGETS[number];

const USAGE = `Usage: deno task compile [--output PATH] [TARGET]

Builds ./pryx-core for this machine, or ./pryx-core-TARGET[.exe] for TARGET:
  ${TARGETS.join("\n  ")}

Flags:
  --output PATH  write the binary to PATH instead

Environment:
  DENORT_BIN  path to a denort of Deno ${Deno.version.deno} for TARGET (offline builds)
`;

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);
const DENO = Deno.execPath();
/** How long the reachability probe of the denort download may take. */
const PROBE_TIMEOUT_MS = 5000;
/** How long the smoke test of the built binary may take. */
const SMOKE_TIMEOUT_MS = 15_000;

/** A build step failed; `message` is the one line to print. */
class CompileError extends Error {
  /** The exit code: 2 for bad input, 1 when the build cannot be done. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * The output path of a build: `pryx-core` for the host, else
 * `pryx-core-TARGET`, with `.exe` for Windows.
 */
export function outputName(target: Target | undefined): string {
  if (target === undefined) {
    return Deno.build.os === "windows" ? "pryx-core.exe" : "pryx-core";
  }
  return `pryx-core-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/**
 * The `--allow-*` flags of the `start` task in `deno.json`: the runtime's
 * permissions are stated once, there.
 */
export function runtimePermissions(denoJson: string): string[] {
  const start = (JSON.parse(denoJson) as { tasks?: Record<string, string> })
    .tasks?.start ?? "";
  const flags = start.split(/\s+/).filter((a) => /^--allow-[a-z-]+/.test(a));
  if (flags.length === 0 || flags.includes("--allow-all")) {
    throw new CompileError(
      `Cannot read the runtime permissions from the "start" task of deno.json: expected --allow-* flags`,
    );
  }
  return flags;
}

/**
 * Runs the build with command-line `args`.
 *
 * @returns The exit code.
 */
export async function compile(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const { target, output: outputFlag } = parseArgs(args);
  const effective: Target = target ?? hostTarget();
  const output = absolute(outputFlag ?? `${ROOT}/${outputName(target)}`);

  const denort = await findDenort(effective);
  log(`Base binary: ${denort}`);
  await run(["check", "main.ts"], "Type check of main.ts failed", true);
  const local = verifyGraph(await moduleGraph());

  const permissions = runtimePermissions(
    Deno.readTextFileSync(`${ROOT}/deno.json`),
  );
  const result = await run(
    [
      "compile",
      ...permissions,
      "--target",
      effective,
      "--output",
      output,
      ...local.flatMap((path) => ["--include", path]),
      "main.ts",
    ],
    "deno compile failed",
  );
  if (!result.ok) throw compileFailure(result.stderr, effective);
  if (target === undefined || effective === hostTarget()) {
    await smokeTest(output);
  }
  const size = Deno.statSync(output).size;
  log(
    `Built ${output} for ${effective} (${
      (size / 1024 / 1024).toFixed(1)
    } MiB, permissions ${permissions.join(" ")})`,
  );
  return 0;
}

/** Parses `[--output PATH] [TARGET]`. */
function parseArgs(
  args: string[],
): { target: Target | undefined; output: string | undefined } {
  let output: string | undefined;
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--output" || arg === "-o") {
      output = args[++i];
      if (output === undefined || output === "") {
        throw new CompileError("Missing value for --output: give a path", 2);
      }
    } else if (arg.startsWith("--output=")) {
      output = arg.slice("--output=".length);
    } else if (arg.startsWith("-")) {
      throw new CompileError(
        `Unknown flag "${arg}": run "deno task compile --help" for usage`,
        2,
      );
    } else positionals.push(arg);
  }
  return { target: parseTarget(positionals), output };
}

function absolute(path: string): string {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)
    ? path
    // `deno task` runs in the directory of deno.json; INIT_CWD is the user's.
    : `${Deno.env.get("INIT_CWD") ?? Deno.cwd()}/${path}`;
}

function parseTarget(args: string[]): Target | undefined {
  if (args.length > 1) {
    throw new CompileError(
      `Too many arguments: expected at most one TARGET, one of ${
        TARGETS.join(", ")
      }`,
      2,
    );
  }
  const [arg] = args;
  if (arg === undefined) return undefined;
  if (!(TARGETS as readonly string[]).includes(arg)) {
    throw new CompileError(
      `Unknown target "${arg}": use one of ${TARGETS.join(", ")}`,
      2,
    );
  }
  return arg as Target;
}

function hostTarget(): Target {
  const host = Deno.build.target;
  if (!(TARGETS as readonly string[]).includes(host)) {
    throw new CompileError(
      `This machine's target "${host}" is not one deno compile builds for: pass a TARGET, one of ${
        TARGETS.join(", ")
      }`,
      2,
    );
  }
  return host as Target;
}

/** The denort download URL of Deno's release for `target`. */
function denortUrl(target: Target): string {
  return `https://dl.deno.land/release/v${Deno.version.deno}/denort-${target}.zip`;
}

function denortHint(target: Target, why: string): string {
  return `cannot download denort for ${target} (${why}): set DENORT_BIN=/path/to/denort of Deno ${Deno.version.deno} for ${target} (from ${
    denortUrl(target)
  }, unzipped) and run "deno task compile" again`;
}

/**
 * Where the base binary will come from: `DENORT_BIN`, Deno's cache, or the
 * network (probed with a short request).
 */
async function findDenort(target: Target): Promise<string> {
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv) {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(fromEnv);
    } catch {
      // reported below
    }
    if (!info?.isFile) {
      throw new CompileError(
        `DENORT_BIN="${fromEnv}" is not a file: point it at a denort of Deno ${Deno.version.deno} for ${target}`,
        2,
      );
    }
    const mismatch = denortMismatch(readHeader(fromEnv), target);
    if (mismatch !== undefined) {
      throw new CompileError(
        `DENORT_BIN="${fromEnv}" cannot build ${target}: ${mismatch}; use the denort of ${
          denortUrl(target)
        }, or a TARGET that matches it`,
        2,
      );
    }
    return `DENORT_BIN=${fromEnv}`;
  }
  const cached = await cachedDenort(target);
  if (cached !== undefined) {
    const check = await verifyCachedZip(cached);
    if (!check.ok) {
      throw new CompileError(
        `The cached ${cached} is not used: ${check.why}`,
      );
    }
    return `${cached} (SHA-256 ${check.sha256}, as published)`;
  }
  try {
    const res = await fetch(denortUrl(target), {
      method: "HEAD",
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) {
      throw new CompileError(denortHint(target, `HTTP ${res.status}`));
    }
  } catch (err) {
    if (err instanceof CompileError) throw err;
    const why = err instanceof DOMException && err.name === "TimeoutError"
      ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
      : networkReason(err);
    throw new CompileError(denortHint(target, why));
  }
  return denortUrl(target);
}

/** The denort zip in Deno's download cache, when `deno compile` has one. */
async function cachedDenort(target: Target): Promise<string | undefined> {
  const out = await new Deno.Command(DENO, {
    args: ["info", "--json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return undefined;
  const { denoDir } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    denoDir?: string;
  };
  if (denoDir === undefined) return undefined;
  const path =
    `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** A module of `deno info --json`. */
interface GraphModule {
  specifier: string;
  error?: string;
}

async function moduleGraph(): Promise<GraphModule[]> {
  const out = await new Deno.Command(DENO, {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new CompileError(
      `deno info main.ts failed: ${
        firstLine(new TextDecoder().decode(out.stderr))
      }`,
    );
  }
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: GraphModule[];
  };
  return graph.modules;
}

/** Folders whose every module the CLI may load with a dynamic `import()`. */
const LAZY_DIRS = ["lib/cli", "lib/server"];

/**
 * Checks that every module of {@linkcode LAZY_DIRS} is in the graph of
 * `main.ts` and that no module failed to resolve.
 *
 * @returns The local modules of the graph, as paths relative to the
 * repository root (`lib/cli/serve.ts`), for `--include`.
 * @throws {CompileError} Naming the first broken or missing module.
 */
function verifyGraph(modules: GraphModule[]): string[] {
  const broken = modules.find((m) => m.error !== undefined);
  if (broken) {
    throw new CompileError(
      `Module ${broken.specifier} cannot be embedded: ${
        firstLine(broken.error ?? "")
      }`,
    );
  }
  const specifiers = new Set(modules.map((m) => m.specifier));
  const lazy = LAZY_DIRS.flatMap((dir) =>
    [...Deno.readDirSync(`${ROOT}/${dir}`)]
      .map((e) => `${dir}/${e.name}`)
      .filter((path) => path.endsWith(".ts"))
  ).sort();
  const missing = lazy.filter((path) =>
    !specifiers.has(new URL(`../${path}`, import.meta.url).href)
  );
  if (missing.length > 0) {
    throw new CompileError(
      `${
        missing[0]
      } is not in the module graph of main.ts, so the binary would not embed it: import it, or load it with importLazily<typeof import(...)>()`,
    );
  }
  const root = new URL("../", import.meta.url).href;
  const local = modules
    .filter((m) => m.specifier.startsWith(`${root}lib/`))
    .map((m) => decodeURIComponent(m.specifier.slice(root.length)));
  // `npm:/hono@4.13.19` and `npm:/hono@4.13.19/tiny` are one package.
  const npm = new Set(
    modules
      .filter((m) => m.specifier.startsWith("npm:"))
      .map((m) => /^npm:\/?((@[^/@]+\/)?[^/@]+)/.exec(m.specifier)?.[1]),
  ).size;
  log(
    `Module graph: ${
      local.length + 1
    } local modules and ${npm} npm package(s) to embed`,
  );
  return local;
}

/** The outcome of a `deno` child process. */
interface RunResult {
  ok: boolean;
  stderr: string;
}

/**
 * Runs `deno ARGS` in the repository root, echoing its stderr once it ends.
 * With `fatal`, a failure stops the build with `what` after the output.
 */
async function run(
  args: string[],
  what: string,
  fatal = false,
): Promise<RunResult> {
  log(`deno ${args.join(" ")}`);
  const out = await new Deno.Command(DENO, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.success || fatal) {
    // Progress on success; type errors are the details the user needs.
    if (stderr.trim() !== "") Deno.stderr.writeSync(out.stderr);
  }
  if (!out.success && fatal) throw new CompileError(what);
  return { ok: out.success, stderr };
}

/** Translates a failed `deno compile`'s stderr into one line. */
function compileFailure(stderr: string, target: Target): CompileError {
  if (/base binary|denort|dl\.deno\.land/i.test(stderr)) {
    const cause = stderr.split("\n").map((l) => l.trim()).reverse().find((
      l,
    ) => /^\d+: /.test(l));
    return new CompileError(
      denortHint(target, cause?.replace(/^\d+: /, "") ?? "download failed"),
    );
  }
  const error = stderr.split("\n").find((l) => l.startsWith("error:"));
  return new CompileError(
    `deno compile failed: ${
      (error ?? firstLine(stderr)).replace(/^error:\s*/, "")
    }`,
  );
}

/** Runs the host binary with `--version`; removes it when it does not work. */
async function smokeTest(output: string): Promise<void> {
  let stdout = "";
  let detail = "";
  try {
    const out = await new Deno.Command(output, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(SMOKE_TIMEOUT_MS),
    }).output();
    stdout = new TextDecoder().decode(out.stdout).trim();
    detail = firstLine(
      new TextDecoder().decode(out.stderr).trim() || stdout ||
        `exit ${out.code}`,
    );
  } catch (err) {
    detail = firstLine((err as Error).message);
  }
  if (stdout === VERSION) {
    log(`Smoke test: ${output} --version printed ${VERSION}`);
    return;
  }
  try {
    Deno.removeSync(output);
  } catch {
    // nothing to remove
  }
  throw new CompileError(
    `The built binary does not run as pryx-core ("${output} --version" gave: ${detail}); is DENORT_BIN a denort of Deno ${Deno.version.deno}, not the deno CLI?`,
  );
}

/** The useful part of a failed fetch: the cause, without the URL. */
function networkReason(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error
    ? err.cause.message
    : err instanceof Error
    ? err.message
    : String(err);
  return firstLine(cause)
    .replace(/^error sending request for url \([^)]*\):\s*/, "")
    .replace(/^client error \(Connect\):\s*/, "");
}

function firstLine(text: string): string {
  return text.trim().split("\n", 1)[0].replace(/^error:\s*/, "");
}

function log(msg: string): void {
  console.error(`compile: ${msg}`);
}

if (import.meta.main) {
  try {
    Deno.exit(await compile(Deno.args));
  } catch (err) {
    if (!(err instanceof CompileError)) throw err;
    console.error(`pryx-core compile: ${err.message}`);
    Deno.exit(err.exitCode);
  }
}
