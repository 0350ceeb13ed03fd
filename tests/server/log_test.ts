/**
 * The log file of a runtime in the background (`lib/server/log.ts`):
 * bounded, rotated once to `.log.1`, mode 0600, never opened in a state
 * directory that may not be trusted.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createLogger, fileSink, type LogSink } from "../../lib/server/log.ts";
import { assertMode, exists, HAS_UNIX_MODES } from "../_harness/fs.ts";

/** Runs `fn` with a fresh temp directory, removed afterwards. */
function inHome(fn: (home: string) => void): void {
  const home = Deno.makeTempDirSync({ prefix: "pryx-test-" });
  try {
    fn(home);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}

/** A sink that keeps what it is given, as text. */
function memorySink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    write: (line) => void lines.push(new TextDecoder().decode(line)),
  };
}

Deno.test("the log file is rotated once to .log.1 past its limit, so at most twice the limit is kept", () =>
  inHome((home) => {
    const path = `${home}/runtime.log`;
    const old = `${home}/runtime.log.1`;
    const log = createLogger("text", false, fileSink(path, old, home, 100));
    const line = (i: number) =>
      `line ${String(i).padStart(3, "0")} ${"x".repeat(20)}`;
    // 30 bytes a line: three fit in 100, the fourth rotates.
    for (let i = 0; i < 3; i++) log.log("info", line(i));
    assert(!exists(old), "not rotated below the limit");
    assert.equal(Deno.statSync(path).size, 90);
    log.log("info", line(3));
    assert.equal(
      Deno.readTextFileSync(old),
      [0, 1, 2].map(line).join("\n") + "\n",
    );
    assert.equal(Deno.readTextFileSync(path), line(3) + "\n");
    for (let i = 4; i < 40; i++) log.log("info", line(i));
    const kept = Deno.statSync(path).size + Deno.statSync(old).size;
    assert(kept <= 200, `${kept} bytes kept`);
    assert(Deno.readTextFileSync(path).endsWith(line(39) + "\n"));
    if (HAS_UNIX_MODES) {
      assertMode(path, 0o600);
      assertMode(old, 0o600);
    }
  }));

Deno.test("a log file carries on from the size it already has, and a line is stamped with its time", () =>
  inHome((home) => {
    const path = `${home}/r.log`;
    Deno.writeTextFileSync(path, "x".repeat(95) + "\n", { mode: 0o600 });
    const log = createLogger(
      "text",
      false,
      fileSink(path, `${path}.1`, home, 100),
      true,
    );
    log.log("warn", "hello");
    assert.equal(Deno.readTextFileSync(`${path}.1`).length, 96);
    assert.match(
      Deno.readTextFileSync(path),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn: hello\n$/,
    );
  }));

Deno.test(
  "a state directory that may not be trusted (or is not there) gets no log file: the lines go to the fallback",
  {
    ignore: !HAS_UNIX_MODES,
  },
  () =>
    inHome((home) => {
      Deno.chmodSync(home, 0o777);
      const fallback = memorySink();
      const log = createLogger(
        "text",
        false,
        fileSink(`${home}/r.log`, `${home}/r.log.1`, home, 100, fallback),
      );
      log.log("info", "one");
      assert.deepEqual([...Deno.readDirSync(home)], []);
      const missing = fileSink(
        `${home}/no/r.log`,
        `${home}/no/r.log.1`,
        `${home}/no`,
        100,
        fallback,
      );
      createLogger("text", false, missing).log("info", "two");
      assert.deepEqual(fallback.lines, ["one\n", "two\n"]);
    }),
);
