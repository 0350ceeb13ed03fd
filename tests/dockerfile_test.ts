/**
 * Static checks of the Dockerfile, which no engine here can build: every
 * file its build stage copies from the context (a denort for offline
 * builds included) gets through the `.dockerignore` allow-list, and the
 * state directory reaches the image with mode 0700 (COPY of a directory
 * creates its destination 0755, so the 0700 directory must be an entry of
 * a copied parent).
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);
const DOCKERFILE = Deno.readTextFileSync(new URL("Dockerfile", ROOT));
const IGNORE = Deno.readTextFileSync(new URL(".dockerignore", ROOT));

/** Instructions, with `\` continuations joined and comments dropped. */
function instructions(text: string): string[] {
  return text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * Whether the context path `path` survives `.dockerignore`: patterns in
 * order, the last match wins, `!` re-includes (Docker's documented rules,
 * for the plain names and `*` this file uses).
 */
function included(path: string, patterns: string[]): boolean {
  let keep = true;
  for (const raw of patterns) {
    const negate = raw.startsWith("!");
    const pattern = (negate ? raw.slice(1) : raw).replace(/\/$/, "");
    const matches = pattern === "*" || path === pattern ||
      path.startsWith(`${pattern}/`);
    if (matches) keep = negate;
  }
  return keep;
}

Deno.test("everything the build stage copies from the context passes the .dockerignore allow-list, denort/ included", () => {
  const patterns = IGNORE.split("\n").map((l) => l.trim()).filter((l) =>
    l !== "" && !l.startsWith("#")
  );
  const copies = instructions(DOCKERFILE).filter((l) =>
    l.startsWith("COPY ") && !l.includes("--from=")
  );
  const sources = copies.flatMap((l) =>
    l.split(/\s+/).slice(1, -1).filter((a) => !a.startsWith("--"))
  );
  assert(sources.includes("denort/"), `sources: ${sources}`);
  for (const source of sources) {
    assert(
      included(source.replace(/\/$/, ""), patterns),
      `${source} is dropped`,
    );
  }
  assert(included("denort/denort", patterns));
  assert(!included("pryx-core", patterns), "local binaries stay out");
  assert(!included(".git", patterns));
});

Deno.test("the state directory of the image is created 0700 and copied as an entry of its parent, not as a COPY destination", () => {
  const lines = instructions(DOCKERFILE);
  const home = /^ENV PRYX_HOME=(\S+)/.exec(
    lines.find((l) => l.startsWith("ENV PRYX_HOME=")) ?? "",
  )?.[1];
  assert.deepStrictEqual(home, "/var/lib/pryx");
  const copy = lines.find((l) =>
    l.startsWith("COPY --from=build") && l.includes("--chown=65532:65532")
  );
  assert(copy !== undefined, "the state directory is copied, owned by 65532");
  const [src, dest] = copy.split(/\s+/).slice(-2);
  assert.notDeepStrictEqual(
    dest.replace(/\/$/, ""),
    home,
    "not a COPY destination",
  );
  const entry = home.slice(dest.replace(/\/$/, "").length + 1);
  assert(
    !entry.includes("/") && entry !== "",
    `${home} is an entry of ${dest}`,
  );
  const built = `${src.replace(/\/$/, "")}/${entry}`;
  assert(
    lines.some((l) =>
      l.startsWith("RUN ") && l.includes(`chmod 0700 ${built}`)
    ),
    `the build stage makes ${built} 0700`,
  );
});
