/**
 * The release workflows (`.github/workflows/`), which cannot run here: each
 * passes the workflow linter, the linter does refuse a broken workflow,
 * and the workflows name every `deno compile` target and the pinned Deno.
 *
 * @module
 */

import assert from "node:assert/strict";
import { lintWorkflows, workflowFiles } from "../scripts/lint_workflows.ts";
import { TARGETS } from "../scripts/compile.ts";

Deno.test("every workflow passes the workflow linter, which refuses a broken one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pryx-workflow-" });
  try {
    const broken = `${dir}/broken.yml`;
    Deno.writeTextFileSync(
      broken,
      "name: x\non: push\njobs:\n  t:\n    runs-onn: ubuntu-latest\n    steps:\n      - run: echo\n",
    );
    const files = workflowFiles();
    assert(files.some((f) => f.endsWith("/ci.yml")), `${files}`);
    assert(files.some((f) => f.endsWith("/release.yml")), `${files}`);
    const results = await lintWorkflows([...files, broken]);
    for (const r of results.slice(0, -1)) {
      assert(r.ok, `${r.file}: ${r.output}`);
    }
    const refused = results.at(-1)!;
    assert(!refused.ok, "the broken workflow is refused");
    assert.match(refused.output, /runs-onn/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the release workflow builds every deno compile target and CI runs on Linux, macOS and Windows with the pinned Deno", () => {
  const release = Deno.readTextFileSync(
    new URL("../.github/workflows/release.yml", import.meta.url),
  );
  for (const target of TARGETS) {
    assert.match(release, new RegExp(`target: ${target}\\n`), target);
  }
  assert.match(release, /PRYX_CORE_BIN=/);
  assert.match(release, /sha256sum/);
  // The client package goes to npm beside the binaries, with provenance.
  assert.match(
    release,
    /\n {2}npm:\n[^]*needs: \[build, package\][^]*id-token: write[^]*npm publish --provenance --access public dist\/pryx-core-client-\*\.tgz\n/,
  );
  assert.match(release, new RegExp(`deno-version: v${Deno.version.deno}`));
  const ci = Deno.readTextFileSync(
    new URL("../.github/workflows/ci.yml", import.meta.url),
  );
  assert.match(ci, /os: \[ubuntu-latest, macos-latest, windows-latest\]/);
  assert.match(ci, new RegExp(`npx -y deno@${Deno.version.deno} task test`));
});
