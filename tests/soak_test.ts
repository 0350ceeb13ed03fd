/**
 * The short fault soak of `deno task soak` (`scripts/soak.ts`): a few
 * seconds of SIGKILL, SIGSTOP, SIGTERM, `rm -rf`, a removed port file, a
 * second `serve`, discover bursts and a full-disk log against one
 * supervised runtime, with discover readers, a raw port-file reader and
 * 20 `connect()` clients. No wrong or torn answer, no client stuck, nothing
 * left behind. The full run is `deno task soak` (two minutes).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseSoakArgs, soak, soakPassed, soakTable } from "../scripts/soak.ts";

Deno.test({
  name: "a short fault soak: 0 wrong, 0 torn, 0 stuck, 0 left",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const report = await soak(6);
    const total = Object.values(report.faults).reduce((a, b) => a + b, 0);
    assert(total >= 1, soakTable(report));
    assert(report.discovers > 0 && report.portReads > 0, soakTable(report));
    assert(soakPassed(report), soakTable(report));
  },
});

Deno.test("the soak's flags: --seconds N or =N, --json, help, and a usage error for anything else", () => {
  assert.deepStrictEqual(parseSoakArgs([]), { seconds: 120, json: false });
  assert.deepStrictEqual(parseSoakArgs(["--seconds", "15", "--json"]), {
    seconds: 15,
    json: true,
  });
  assert.deepStrictEqual(parseSoakArgs(["--seconds=15"]), {
    seconds: 15,
    json: false,
  });
  assert.deepStrictEqual(parseSoakArgs(["--help"]), "help");
  assert.match(
    (parseSoakArgs(["--bogus"]) as { error: string }).error,
    /unknown argument "--bogus"/,
  );
  assert("error" in (parseSoakArgs(["--seconds", "x"]) as object));
});
