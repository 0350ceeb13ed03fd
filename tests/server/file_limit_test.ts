/**
 * Unit tests of the open-file limit check (lib/server/file_limit.ts) for
 * every OS branch, the real shell source under a low limit, and (against a
 * compiled binary, `PRYX_CORE_BIN`) the runtime's one log line.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  fileLimitAdvice,
  type LimitSources,
  LOW_FILE_LIMIT,
  readFileLimit,
  reportFileLimit,
} from "../../lib/server/file_limit.ts";
import { childEnv, cliCommand, withHome } from "../_harness/cli.ts";
import { killIfRunning } from "../_harness/process.ts";

const sources = (over: Partial<LimitSources> = {}): LimitSources => ({
  runUlimit: () => Promise.resolve("256\nunlimited\n"),
  standalone: true,
  ...over,
});

Deno.test("a compiled binary reads its limit from the shell on Linux and macOS; deno run and Windows do not look", async () => {
  for (const os of ["linux", "darwin"] as const) {
    assert.deepStrictEqual(await readFileLimit(os, sources()), {
      soft: 256,
      hard: Infinity,
    });
    // Under `deno run` the deno CLI raised the limit: no child is spawned.
    assert.deepStrictEqual(
      await readFileLimit(
        os,
        sources({
          standalone: false,
          runUlimit: () => assert.fail("no child"),
        }),
      ),
      undefined,
    );
  }
  assert.deepStrictEqual(
    await readFileLimit(
      "windows",
      sources({ runUlimit: () => assert.fail("no shell") }),
    ),
    undefined,
  );
  assert.deepStrictEqual(
    await readFileLimit(
      "linux",
      sources({ runUlimit: () => Promise.resolve("") }),
    ),
    undefined,
  );
});

Deno.test("a low limit gets advice that names the clients it allows and the OS's way to raise it; a high one gets none", () => {
  const linux = fileLimitAdvice({ soft: 1024, hard: 524288 }, "linux");
  assert.match(
    linux ?? "",
    /^The open-file limit is 1024 \(hard limit 524288\): about 992 WebSocket clients at most; to hold more, run "ulimit -n 65536" in the shell that starts it \(systemd: LimitNOFILE=65536; docker run: --ulimit nofile=65536:65536\)$/,
  );
  const mac = fileLimitAdvice({ soft: 256, hard: Infinity }, "darwin");
  assert.match(
    mac ?? "",
    // macOS refuses a soft limit above OPEN_MAX (10240).
    /256 \(hard limit unlimited\): about 224 WebSocket clients.*ulimit -n 10240.*launchctl limit maxfiles 10240/,
  );
  assert.match(
    fileLimitAdvice({ soft: 1024, hard: 2048 }, "linux") ?? "",
    /run "ulimit -n 2048"/,
  );
  assert.match(
    fileLimitAdvice({ soft: 1024, hard: 1024 }, "linux") ?? "",
    /raise the hard limit \(as root: "ulimit -Hn 65536"\)/,
  );
  assert.deepStrictEqual(
    fileLimitAdvice({ soft: LOW_FILE_LIMIT, hard: LOW_FILE_LIMIT }, "linux"),
    undefined,
  );
});

Deno.test("reportFileLimit logs once at info level when low, and nothing when high", async () => {
  const lines: string[] = [];
  const log = {
    log: (level: "info", msg: string) => void lines.push(`${level} ${msg}`),
  };
  await reportFileLimit(log, "linux", sources());
  assert.deepStrictEqual(lines.length, 1);
  assert.match(lines[0], /^info The open-file limit is 256/);
  await reportFileLimit(
    log,
    "linux",
    sources({ runUlimit: () => Promise.resolve("1048576\n1048576\n") }),
  );
  assert.deepStrictEqual(lines.length, 1);
});

Deno.test({
  name: "the shell source reads the real limit a process runs under",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const script = `
      import { processLimitSources, readFileLimit } from ${
      JSON.stringify(
        new URL("../../lib/server/file_limit.ts", import.meta.url).href,
      )
    };
      console.log(JSON.stringify(await readFileLimit(Deno.build.os, { ...processLimitSources, standalone: true })));
    `;
    const out = await new Deno.Command("sh", {
      args: [
        "-c",
        `ulimit -n 1000 && exec "$0" eval --no-config "$1"`,
        Deno.execPath(),
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assert(out.success, dec.decode(out.stderr));
    assert.deepStrictEqual(JSON.parse(dec.decode(out.stdout)), {
      soft: 1000,
      hard: 1000,
    });
  },
});

Deno.test({
  name:
    "a compiled runtime started under an open-file limit of 1000 says once what that allows",
  // Only a compiled binary keeps a low limit (the deno CLI raises it).
  ignore: !Deno.env.get("PRYX_CORE_BIN") || Deno.build.os === "windows",
  fn: () =>
    withHome(async (home) => {
      const [cmd, args] = cliCommand(["serve", "--listen", ":0"]);
      const child = new Deno.Command("sh", {
        args: ["-c", 'ulimit -n 1000 && exec "$@"', "sh", cmd, ...args],
        env: childEnv({ PRYX_HOME: home }),
        clearEnv: true,
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const reader = child.stderr.pipeThrough(new TextDecoderStream())
        .getReader();
      let err = "";
      try {
        while (!/open-file limit.*\n/.test(err)) {
          const { value, done } = await reader.read();
          if (done) break;
          err += value;
        }
        assert.match(
          err,
          /The open-file limit is 1000 \(hard limit 1000\): about 968 WebSocket clients at most/,
        );
      } finally {
        clearTimeout(timer);
        killIfRunning(child, "SIGTERM");
        await child.status;
        err += (await reader.read().catch(() => ({ value: "" }))).value ?? "";
        await reader.cancel().catch(() => {});
      }
      assert.deepStrictEqual(err.match(/open-file limit/g)?.length, 1);
    }),
});
