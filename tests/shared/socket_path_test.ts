/**
 * Unit tests of where the Unix socket goes: `<instance>.sock` in the state
 * directory while that path fits a socket address, else a short name in
 * `$XDG_RUNTIME_DIR/pryx` or `/tmp/pryx-<uid>`; none on Windows. Every OS
 * branch, here.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  placeDigest,
  socketPathLimit,
  socketPlace,
} from "../../lib/shared/socket_path.ts";
import { envFromRecord } from "../../lib/shared/config.ts";
import { canUseSocket } from "../../lib/shared/direct.ts";

const noEnv = envFromRecord({});

Deno.test("socket path: <instance>.sock in the state directory when it fits", () => {
  for (const os of ["linux", "darwin", "freebsd"] as const) {
    assert.deepEqual(
      socketPlace("/home/ada/.pryx", "runtime", os, noEnv, 1000),
      { path: "/home/ada/.pryx/runtime.sock" },
    );
  }
});

Deno.test("socket path: none on Windows", () => {
  assert.equal(socketPathLimit("windows"), undefined);
  assert.equal(
    socketPlace("C:\\Users\\ada\\.pryx", "runtime", "windows", noEnv, 1000),
    undefined,
  );
});

Deno.test("socket path: the limits of sun_path, less the NUL", () => {
  assert.equal(socketPathLimit("linux"), 107);
  assert.equal(socketPathLimit("darwin"), 103);
});

Deno.test("socket path: a deep state directory gets a short path in XDG_RUNTIME_DIR, else /tmp/pryx-<uid>", () => {
  // 107 bytes on Linux, less the temp name the bind uses: 80 is too long.
  const deep = "/home/ada/" + "d".repeat(70);
  const digest = placeDigest(deep, "runtime");
  const xdg = envFromRecord({ XDG_RUNTIME_DIR: "/run/user/1000/" });
  assert.deepEqual(socketPlace(deep, "runtime", "linux", xdg, 1000), {
    path: `/run/user/1000/pryx/${digest}.sock`,
    privateDir: "/run/user/1000/pryx",
  });
  assert.deepEqual(socketPlace(deep, "runtime", "darwin", noEnv, 501), {
    path: `/tmp/pryx-501/${digest}.sock`,
    privateDir: "/tmp/pryx-501",
  });
  // A relative XDG_RUNTIME_DIR is invalid (XDG Base Directory spec): ignored.
  const relative = envFromRecord({ XDG_RUNTIME_DIR: "run/user/1000" });
  assert.equal(
    socketPlace(deep, "runtime", "linux", relative, 1000)?.privateDir,
    "/tmp/pryx-1000",
  );
  // An XDG_RUNTIME_DIR that is not the user's alone is passed over.
  assert.deepEqual(
    socketPlace(deep, "runtime", "linux", xdg, 1000, {
      runtimeDirUsable: () => false,
    }),
    { path: `/tmp/pryx-1000/${digest}.sock`, privateDir: "/tmp/pryx-1000" },
  );
  // Without a uid there is no /tmp/pryx-<uid>, and no socket.
  assert.equal(
    socketPlace(deep, "runtime", "linux", noEnv, undefined),
    undefined,
  );
});

Deno.test("socket path: the limit counts bytes, not characters", () => {
  // 30 four-byte characters: 30 characters, 120 bytes.
  const dir = "/home/" + "\u{1F600}".repeat(20);
  assert.equal(
    socketPlace(dir, "runtime", "linux", noEnv, 1000)?.privateDir,
    "/tmp/pryx-1000",
  );
});

Deno.test("socket path: the boundary is the bind's temp name, not the socket's", () => {
  // The longest path that fits on Linux: 107 bytes less 20 for the temp name.
  const fitting = "/s/" +
    "x".repeat(87 - "/s/".length - "/runtime.sock".length);
  assert.equal(`${fitting}/runtime.sock`.length, 87);
  assert.deepEqual(socketPlace(fitting, "runtime", "linux", noEnv, 0), {
    path: `${fitting}/runtime.sock`,
  });
  assert.notEqual(
    socketPlace(fitting + "x", "runtime", "linux", noEnv, 0)?.privateDir,
    undefined,
  );
});

Deno.test("socket path: each state directory and instance gets its own short name", () => {
  const names = new Set([
    placeDigest("/a", "runtime"),
    placeDigest("/b", "runtime"),
    placeDigest("/a", "other"),
    placeDigest("/a\0other", ""),
  ]);
  assert.equal(names.size, 4);
  for (const name of names) assert.match(name, /^[0-9a-f]{16}$/);
  // Stable: the same directory finds the same name at every start.
  assert.equal(placeDigest("/a", "runtime"), placeDigest("/a", "runtime"));
});

/** Runs `fn` with a listening Unix socket at a temp path. */
async function withSocket(fn: (path: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "pryx-test-" });
  const path = `${dir}/runtime.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  try {
    await fn(path);
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "socket path: a reader uses a socket only where there is one (not a link, not a file, not missing), never on Windows",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withSocket((path) => {
      assert.equal(canUseSocket(path, "windows"), false);
      // This test runs with -A: every grant a socket client needs is there.
      assert.equal(canUseSocket(path, "linux"), true);
      assert.equal(canUseSocket(path, "darwin"), true);
      const dir = path.slice(0, path.lastIndexOf("/"));
      Deno.symlinkSync(path, `${dir}/link.sock`);
      Deno.writeTextFileSync(`${dir}/file.sock`, "");
      for (const other of ["link.sock", "file.sock", "missing.sock"]) {
        assert.equal(canUseSocket(`${dir}/${other}`, "linux"), false, other);
      }
    }),
});

Deno.test({
  name:
    "socket path: a Deno reader without write access to the socket does not try it (TCP it is)",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withSocket(async (path) => {
      const direct = new URL("../../lib/shared/direct.ts", import.meta.url)
        .href;
      const program = `const { canUseSocket } = await import(${
        JSON.stringify(direct)
      });
         console.log(canUseSocket(${JSON.stringify(path)}, "linux"));`;
      const run = async (permissions: string[]) => {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", ...permissions, "-"],
          env: { NO_COLOR: "1" },
          stdin: "piped",
          stdout: "piped",
        }).spawn();
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(program));
        await writer.close();
        const { stdout } = await child.output();
        return new TextDecoder().decode(stdout).trim();
      };
      assert.equal(await run(["-A"]), "true");
      assert.equal(await run(["--allow-net", "--allow-read"]), "false");
    }),
});
