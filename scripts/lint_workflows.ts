/**
 * `deno task lint:workflows [FILE...]`: validates the GitHub Actions
 * workflows (default: every `.github/workflows/*.yml`) against the
 * workflow schema with action-validator, from the npm registry through
 * `npx`, pinned. GitHub's runners cannot be run here; their input can be
 * checked.
 *
 * `npx --prefer-offline` takes the package from npm's cache once it has
 * been fetched (no registry round trip), so the check runs offline after
 * its first use and takes about a second per file.
 *
 * @module
 */

import { fileUrlToPath } from "../lib/shared/file_url.ts";
import { runNpm } from "./_npm.ts";

/** The linter, pinned: `npm view @action-validator/cli version`. */
export const LINTER = "@action-validator/cli@0.6.0";

const ROOT = fileUrlToPath(new URL("..", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** The workflow files of the repository, sorted. */
export function workflowFiles(root: string = ROOT): string[] {
  const dir = `${root}/.github/workflows`;
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && /\.ya?ml$/.test(e.name))
    .map((e) => `${dir}/${e.name}`)
    .sort();
}

/** The outcome of linting one file. */
export interface LintResult {
  /** The file. */
  file: string;
  /** `true` when the linter accepted it. */
  ok: boolean;
  /** What the linter printed (its findings as JSON when it refused). */
  output: string;
}

/**
 * Lints each of `files`, one `npx` run each (this linter takes one file
 * per run), one after the other: concurrent runs contend for npm's cache
 * and take longer in total.
 *
 * @throws {Error} When `npx` is not on PATH.
 */
export async function lintWorkflows(files: string[]): Promise<LintResult[]> {
  const results: LintResult[] = [];
  for (const file of files) {
    const out = await runNpm(
      "npx",
      ["--yes", "--prefer-offline", LINTER, file],
      { NO_COLOR: "1" },
    );
    results.push({
      file,
      ok: out.ok,
      output: (out.stdout + out.stderr).trim(),
    });
  }
  return results;
}

if (import.meta.main) {
  const files = Deno.args.length > 0 ? Deno.args : workflowFiles();
  const results = await lintWorkflows(files);
  for (const r of results) {
    console.error(`${r.ok ? "ok  " : "FAIL"} ${r.file}`);
    if (!r.ok) console.error(r.output);
  }
  Deno.exit(results.every((r) => r.ok) ? 0 : 1);
}
