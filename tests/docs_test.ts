/**
 * The README and `docs/` cannot drift from the code: each subcommand's page
 * lists exactly the flags its `--help` prints, every subcommand has a page
 * and every page a subcommand, the exit codes page is `ExitCode`, every
 * `PRYX_*` variable the code reads and every instance file is documented,
 * every `pryx-core ...` command line uses flags its subcommand has, every
 * `deno task` named is a task, and every link and path points at a file
 * that exists.
 *
 * A page documents its flags in the first column of the table under its
 * `## Flags` heading (`--flag VALUE`, `-q`, `--quiet`, ...).
 *
 * @module
 */

import assert from "node:assert/strict";
import { cliCommand, runCli, runProgram } from "./_harness/cli.ts";
import { isInstanceLocked } from "../lib/shared/lock.ts";
import { SUBCOMMANDS } from "../lib/cli/subcommands.ts";
import { Env } from "../lib/shared/config.ts";
import { ExitCode } from "../lib/shared/errors.ts";
import { Suffix } from "../lib/shared/instance_files.ts";

const ROOT = new URL("../", import.meta.url);

function read(rel: string): string {
  return Deno.readTextFileSync(new URL(rel, ROOT));
}

function exists(rel: string): boolean {
  try {
    Deno.statSync(new URL(rel, ROOT));
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The files under `dir` (relative to the root) whose names end with `ext`. */
function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(new URL(`${dir}/`, ROOT))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...filesUnder(path, ext));
    else if (path.endsWith(ext)) out.push(path);
  }
  return out.sort();
}

/** `README.md` and every page of `docs/`, as `[path, text]`. */
function markdownPages(): [string, string][] {
  return ["README.md", ...filesUnder("docs", ".md")].map((p) => [p, read(p)]);
}

const FLAG = /(?<![\w-])--?[A-Za-z][\w-]*/g;

/**
 * The flags a `--help` text lists: the flags that open its lines indented
 * by two spaces (`  --json, --env   ...`, `  -q, --quiet  ...`).
 */
export function helpFlags(help: string): Set<string> {
  const flags = new Set<string>();
  for (const line of help.split("\n")) {
    const lead = line.match(/^ {2}(-[\w-]+(?:, -[\w-]+)*)/)?.[1];
    for (const f of lead?.match(FLAG) ?? []) flags.add(f);
  }
  return flags;
}

/** The subcommands the top-level `--help` lists under `Commands:`. */
export function helpCommands(help: string): string[] {
  const at = help.indexOf("Commands:\n");
  if (at < 0) return [];
  const names: string[] = [];
  for (const line of help.slice(at + "Commands:\n".length).split("\n")) {
    const name = line.match(/^ {2}([a-z][a-z-]*)\s/)?.[1];
    if (name === undefined) break;
    names.push(name);
  }
  return names;
}

/** The text from `heading` (a whole line) to the next heading of its level. */
function section(page: string, heading: string): string {
  const lines = page.split("\n");
  const at = lines.indexOf(heading);
  if (at < 0) return "";
  const level = heading.match(/^#+/)![0];
  const end = lines.findIndex((l, i) =>
    i > at && new RegExp(`^#{1,${level.length}} `).test(l)
  );
  return lines.slice(at + 1, end < 0 ? undefined : end).join("\n");
}

/** The first cells of the table rows of `text` (an escaped `\|` stays in). */
function firstCells(text: string): string[] {
  return text.split("\n").flatMap((l) => {
    const cell = l.match(/^\|((?:\\\||[^|])*)\|/)?.[1];
    return cell === undefined || /^[\s:-]+$/.test(cell) ? [] : [cell];
  });
}

/** The flags a command page documents: the first column under `## Flags`. */
export function pageFlags(page: string): Set<string> {
  const cells = firstCells(section(page, "## Flags")).filter((c) =>
    c.trim() !== "flag"
  );
  return new Set(cells.flatMap((c) => c.match(FLAG) ?? []));
}

/** The code of a page: fenced blocks and inline spans. */
function codeOf(page: string): string[] {
  const fenced = [...page.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) =>
    m[1]
  );
  const prose = page.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
  const inline = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
  return [...fenced, ...inline];
}

/** A `pryx-core` command line found in the docs. */
export interface CommandLine {
  /** The subcommand, or `""` for none (`pryx-core --version`). */
  command: string;
  /** The flags it passes, before any `--`. */
  flags: string[];
  /** The line as written. */
  text: string;
}

/**
 * The `pryx-core` command lines of `code` (also `deno task pryx ...` and
 * `./pryx-core`) whose first word is one of `commands` or a flag.
 */
export function commandLines(code: string, commands: string[]): CommandLine[] {
  const out: CommandLine[] = [];
  const start = /(?:^|(?<=[\s"'(/]))(?:pryx-core|task(?: -q)? pryx)[ \t]+/g;
  for (const line of code.split("\n")) {
    for (const m of line.matchAll(start)) {
      const rest = line.slice(m.index! + m[0].length).split(/[#|;&)<>`]/)[0];
      const words = rest.trim().split(/\s+/).filter((w) => w !== "");
      if (words.length === 0) continue;
      const command = commands.includes(words[0]) ? words[0] : "";
      if (command === "" && !words[0].startsWith("-")) continue;
      const args = command === "" ? words : words.slice(1);
      const end = args.indexOf("--");
      const flags = (end < 0 ? args : args.slice(0, end))
        .flatMap((w) => w.match(/^--?[A-Za-z][\w-]*/) ?? []);
      out.push({ command, flags, text: line.trim() });
    }
  }
  return out;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, `-` for spaces. */
export function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/**
 * The relative links of `page` (at `path`) that lead nowhere: a file that
 * does not exist, or an anchor that no heading of the target has.
 */
export function brokenLinks(
  path: string,
  page: string,
  readPage: (rel: string) => string | undefined,
): string[] {
  const prose = page.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
  const broken: string[] = [];
  for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/.test(target)) continue;
    const [file, anchor] = target.split("#");
    const rel = file === ""
      ? path
      : new URL(file, new URL(path, "file:///")).pathname.slice(1);
    const text = readPage(rel.replace(/\/$/, ""));
    if (text === undefined) {
      broken.push(`${path}: ${target} (no such file)`);
      continue;
    }
    if (anchor === undefined) continue;
    const anchors = [...text.matchAll(/^#+ (.+)$/gm)].map((h) =>
      anchorOf(h[1])
    );
    if (!anchors.includes(anchor)) {
      broken.push(`${path}: ${target} (no such heading)`);
    }
  }
  return broken;
}

/** The repository paths `text` names: `lib/…`, `tests/…`, `docs/…`, ... */
export function repoPaths(text: string): string[] {
  const found = text.match(
    /(?<![\w/.~$@-])(?:lib|tests|scripts|bench|docs|\.github|\.ci)\/(?:[\w.-]+\/?)*/g,
  ) ?? [];
  return found.map((p) => p.replace(/\.+$/, ""));
}

/** The `deno task` names `text` runs. */
export function taskNames(text: string): string[] {
  return [...text.matchAll(/\bdeno(?:@[\d.]+)? task(?: -q)? ([a-z][\w:-]*)/g)]
    .map((m) => m[1]);
}

/** `--help` of the top level and of every subcommand, run at once. */
async function helps(): Promise<Map<string, string>> {
  const names = ["", ...Object.keys(SUBCOMMANDS)];
  const results = await Promise.all(
    names.map((n) => runCli(n === "" ? ["--help"] : [n, "--help"])),
  );
  const out = new Map<string, string>();
  results.forEach((r, i) => {
    assert.equal(r.code, 0, `${names[i]} --help: ${r.stderr}`);
    out.set(names[i], r.stdout);
  });
  return out;
}

Deno.test("every subcommand has a page in docs/commands/ and every page a subcommand", async () => {
  const help = await runCli(["--help"]);
  const listed = helpCommands(help.stdout);
  assert.deepStrictEqual(
    listed.toSorted(),
    Object.keys(SUBCOMMANDS).toSorted(),
  );
  const pages = filesUnder("docs/commands", ".md").map((p) =>
    p.slice("docs/commands/".length, -".md".length)
  );
  assert.deepStrictEqual(pages, listed.toSorted());
});

Deno.test("each command page lists exactly the flags of its --help, and every pryx-core line uses flags that exist", async () => {
  const help = await helps();
  const problems: string[] = [];
  for (const name of Object.keys(SUBCOMMANDS)) {
    const path = `docs/commands/${name}.md`;
    if (!exists(path)) continue; // the test above names it
    const inHelp = helpFlags(help.get(name)!);
    const onPage = pageFlags(read(path));
    for (const f of inHelp) {
      if (!onPage.has(f)) {
        problems.push(
          `${path}: ${f} is in "${name} --help" but not in the table under "## Flags"`,
        );
      }
    }
    for (const f of onPage) {
      if (!inHelp.has(f)) {
        problems.push(
          `${path}: ${f} is documented but not in "${name} --help"`,
        );
      }
    }
  }
  const commands = Object.keys(SUBCOMMANDS);
  const bare = new Set([
    ...helpFlags(help.get("")!),
    ...helpFlags(help.get("serve")!),
  ]);
  for (const [path, page] of markdownPages()) {
    for (const code of codeOf(page)) {
      for (const line of commandLines(code, commands)) {
        const known = line.command === ""
          ? bare
          : helpFlags(help.get(line.command)!);
        for (const f of line.flags.filter((f) => !known.has(f))) {
          problems.push(
            `${path}: ${f} is not a flag of "${
              line.command || "pryx-core"
            }": ${line.text}`,
          );
        }
      }
    }
  }
  assert.deepStrictEqual(problems, []);
});

Deno.test("the exit codes page lists exactly the ExitCode values", () => {
  const rows = firstCells(read("docs/exit-codes.md")).flatMap((c) =>
    /^\s*\d+\s*$/.test(c) ? [Number(c)] : []
  );
  const names = read("docs/exit-codes.md").split("\n").flatMap((l) => {
    const m = l.match(/^\|\s*(\d+)\s*\|\s*`(\w+)`/);
    return m ? [[m[2], Number(m[1])] as const] : [];
  });
  assert.deepStrictEqual(rows, Object.values(ExitCode));
  assert.deepStrictEqual(Object.fromEntries(names), { ...ExitCode });
});

Deno.test("every PRYX_* variable the code reads is documented in docs/", () => {
  const docs = filesUnder("docs", ".md").map(read).join("\n");
  const sources = [
    "main.ts",
    ...["lib", "scripts", "bench", "tests"].flatMap(
      (d) => filesUnder(d, ".ts"),
    ),
  ].map(read).join("\n");
  const read_ = new Set<string>(Object.values(Env));
  for (const m of sources.matchAll(/["'`](PRYX_[A-Z][A-Z0-9_]*)["'`]/g)) {
    read_.add(m[1]);
  }
  assert.ok(read_.has("PRYX_HOME") && read_.has("PRYX_CORE_BIN"));
  const missing = [...read_].filter((v) =>
    !new RegExp(`\\b${v}\\b`).test(docs)
  );
  assert.deepStrictEqual(missing, []);
});

Deno.test("every instance file suffix is in docs/files.md", () => {
  const files = read("docs/files.md");
  const missing = Object.values(Suffix).filter((s) =>
    !files.includes(`\`<instance>${s}\``)
  );
  assert.deepStrictEqual(missing, []);
});

Deno.test("every relative link of the README and docs/ leads to a file and heading that exist", () => {
  const pages = new Map(markdownPages());
  const readPage = (rel: string) => {
    if (pages.has(rel)) return pages.get(rel);
    return exists(rel) ? "" : undefined;
  };
  const broken = [...pages].flatMap(([path, page]) =>
    brokenLinks(path, page, readPage)
  );
  assert.deepStrictEqual(broken, []);
  const index = read("docs/README.md");
  const unlinked = filesUnder("docs", ".md")
    .filter((p) => p !== "docs/README.md")
    .filter((p) => !index.includes(`](${p.slice("docs/".length)})`));
  assert.deepStrictEqual(unlinked, [], "pages docs/README.md does not link");
});

Deno.test("every path and deno task the README and docs/ name exists", () => {
  const tasks = Object.keys(JSON.parse(read("deno.json")).tasks);
  const problems = markdownPages().flatMap(([path, page]) => [
    ...repoPaths(page).filter((p) => !exists(p)).map((p) =>
      `${path}: ${p} does not exist`
    ),
    ...taskNames(page).filter((t) => !tasks.includes(t)).map((t) =>
      `${path}: deno task ${t} is not a task of deno.json`
    ),
  ]);
  assert.deepStrictEqual(problems, []);
});

Deno.test("the README names the test command that .ci/run runs, and stays short", () => {
  const ci = read(".ci/run").split("\n").find((l) => l.includes("task test"));
  assert.ok(ci !== undefined, ".ci/run runs no deno task test");
  const readme = read("README.md");
  assert.ok(
    readme.includes(ci.trim()),
    `README.md does not name "${ci.trim()}"`,
  );
  assert.ok(readme.includes("npx -y deno@2.9.6 task -q start"));
  assert.ok(readme.split("\n").length <= 120, "README.md is over 120 lines");
});

Deno.test("the drift checks see drift", () => {
  const help =
    "Usage: x\n\nFlags:\n  --json, --env   a\n  -q, --quiet     b\n" +
    "  --wait [DURATION]\n                  --not-a-flag here\n";
  assert.deepStrictEqual([...helpFlags(help)], [
    "--json",
    "--env",
    "-q",
    "--quiet",
    "--wait",
  ]);
  const page = "# x\n\n## Flags\n\n| flag | |\n| --- | --- |\n" +
    "| `--auth none\\|token` | see `--listen` |\n| `-q`, `--quiet` | |\n\n## Other\n\n| `--gone` | |\n";
  assert.deepStrictEqual([...pageFlags(page)], ["--auth", "-q", "--quiet"]);
  assert.deepStrictEqual(
    commandLines(
      "x=$(pryx-core discover --formt url) # --no\n./pryx-core run --timeout=5s -- ls -la\npryx-core-client --x\ndeno task -q pryx --version",
      ["discover", "run"],
    ).map((l) => [l.command, l.flags]),
    [["discover", ["--formt"]], ["run", ["--timeout"]], ["", ["--version"]]],
  );
  const pages = new Map([["docs/a.md", "# Top\n## Two words\n"]]);
  assert.deepStrictEqual(
    brokenLinks(
      "docs/b.md",
      "[a](a.md#two-words) [b](a.md#three) [c](gone.md) [d](https://x.y/z) [e](../docs/a.md)",
      (rel) => pages.get(rel),
    ),
    [
      "docs/b.md: a.md#three (no such heading)",
      "docs/b.md: gone.md (no such file)",
    ],
  );
  // Spelled in pieces, so this file names no missing path itself.
  const gone = ["lib", "cli", "gone.ts"].join("/");
  assert.deepStrictEqual(
    repoPaths(`see \`${gone}\`. and tests/, not x/lib/y`),
    [gone, "tests/"],
  );
  assert.deepStrictEqual(
    taskNames("`deno task -q pryx` and npx -y deno@2.9.6 task tset"),
    [
      "pryx",
      "tset",
    ],
  );
});

/** The first fenced block of `lang` after the line that starts with `marker`. */
function blockAfter(page: string, marker: string, lang: string): string {
  const at = page.split("\n").findIndex((l) => l.startsWith(marker));
  assert.ok(at >= 0, `no line starts with ${marker}`);
  const rest = page.split("\n").slice(at).join("\n");
  const m = rest.match(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\``, "m"));
  assert.ok(m, `no ${lang} block after ${marker}`);
  return m[1];
}

/** Whether `cmd` runs here (`cmd --version` exits). */
function have(cmd: string): boolean {
  try {
    new Deno.Command(cmd, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

Deno.test({
  name:
    "the README's shell script works as written, with pryx-core on PATH and a fresh home",
  ignore: Deno.build.os === "windows" || !have("curl"),
  fn: async () => {
    const script = blockAfter(
      read("README.md"),
      "**From a shell script**",
      "sh",
    );
    const home = await Deno.makeTempDir({ prefix: "pryx-docs-" });
    try {
      await Deno.mkdir(`${home}/bin`);
      const [bin, args] = cliCommand([]);
      const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
      await Deno.writeTextFile(
        `${home}/bin/pryx-core`,
        `#!/bin/sh\nexec ${[bin, ...args].map(quote).join(" ")} "$@"\n`,
        { mode: 0o755 },
      );
      // Its output goes to files, not pipes: a runtime the script leaves in
      // the background on failure would hold a pipe open for its 5 minutes.
      const r = await runProgram(
        "sh",
        ["-c", 'sh -e -c "$1" >"$2/out" 2>"$2/err"', "sh", script, home],
        {
          cwd: home,
          env: {
            HOME: home,
            PATH: `${home}/bin:${Deno.env.get("PATH") ?? ""}`,
          },
          timeoutMs: 20_000,
        },
      );
      r.stdout = await Deno.readTextFile(`${home}/out`);
      r.stderr = await Deno.readTextFile(`${home}/err`);
      const lock = `${home}/.pryx/runtime.lock`;
      const json = `${home}/.pryx/runtime.json`;
      if (r.code !== 0) {
        // The script failed before its stop: end the runtime it started in
        // the background, once it holds its lock and has written its pid.
        for (let i = 0; i < 100 && !isInstanceLocked(lock); i++) {
          await new Promise((ok) => setTimeout(ok, 50));
        }
        if (isInstanceLocked(lock)) {
          const { pid } = JSON.parse(await Deno.readTextFile(json));
          Deno.kill(pid, "SIGKILL");
        }
      }
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\d+\n/);
      assert.match(r.stdout, /"status":"ok"/);
      assert.ok(!isInstanceLocked(lock), "the script's stop left it running");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("the TypeScript examples of the README and docs/ type-check against lib/", async () => {
  const dir = await Deno.makeTempDir({
    dir: new URL(".", ROOT).pathname,
    prefix: ".docs-check-",
  });
  try {
    const files: string[] = [];
    for (const [path, page] of markdownPages()) {
      const blocks = [...page.matchAll(/^```ts\n([\s\S]*?)^```/gm)];
      blocks.forEach((m, i) => {
        // Written from the checkout's root, as the pages say.
        const code = m[1].replaceAll('"./lib/', '"../lib/');
        const file = `${dir}/${path.replaceAll("/", "_")}_${i}.ts`;
        Deno.writeTextFileSync(file, code);
        files.push(file);
      });
    }
    assert.ok(files.length >= 3);
    const r = await runProgram(Deno.execPath(), ["check", "-q", ...files], {
      cwd: new URL(".", ROOT).pathname,
    });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
