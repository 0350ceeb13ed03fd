/**
 * Black-box tests of the Unix socket beside the port (SPEC 2, 4): `serve`
 * serves every route on `<instance>.sock` (0600, named by `socket` in the
 * json), without the Host check there and with the same token rules;
 * replaces a dead runtime's socket, refuses a path that is not a socket,
 * puts the socket back when it is removed, removes it on shutdown only
 * while it is its own, and moves to a short private path when the state
 * directory's is too long for a socket address.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  runCli,
  startServer,
  tempHome,
  waitUntil,
  withHome,
} from "../_harness/cli.ts";
import { assertMode, exists } from "../_harness/fs.ts";
import { socketFetch, socketHello } from "../_harness/unix_socket.ts";
import { mustRequest } from "../_harness/raw_http.ts";

const NO_SOCKETS = Deno.build.os === "windows";

/**
 * A state directory under `root` too deep for `<instance>.sock` (`sub`
 * its last part, `state` unless given): its socket takes a short path.
 */
function deepHome(root: string, sub = "state"): string {
  const deep = `${root}/${"deep-directory-name-".repeat(5)}`;
  return sub === "" ? deep : `${deep}/${sub}`;
}

/** `root/name`, made 0700: an XDG_RUNTIME_DIR of one's own. */
function privateDir(root: string, name: string): string {
  const dir = `${root}/${name}`;
  Deno.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

function readRecord(home: string, instance = "runtime") {
  return JSON.parse(Deno.readTextFileSync(`${home}/${instance}.json`));
}

Deno.test({
  name:
    "socket: serve serves /health, /ws and /info on <instance>.sock, 0600, named in the json",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (home) => {
      await using server = await startServer(home);
      const socket = `${home}/runtime.sock`;
      const record = readRecord(home);
      assert.equal(record.socket, socket);
      assert(Deno.lstatSync(socket).isSocket);
      assertMode(socket, 0o600);
      const health = await socketFetch(socket, "/health");
      assert.equal(health.status, 200, health.body);
      assert.equal(JSON.parse(health.body).runId, record.runId);
      // No Host check over the socket (no browser reaches it), on the fast
      // path and through the app; over TCP the same Host is refused.
      for (
        const req of [
          { host: "evil.example" },
          { host: null },
          { host: "evil.example", path: "/info" },
        ]
      ) {
        const over = await mustRequest({ socket }, req);
        assert.equal(over.status, 200, `${JSON.stringify(req)}: ${over.body}`);
        const tcp = await mustRequest(server.port, req);
        assert.equal(tcp.status, 403, JSON.stringify(req));
      }
      const hello = await socketHello(socket);
      assert.equal(hello.type, "hello");
      assert.equal(hello.runId, record.runId);
      // list names it, in the table and in --json.
      const list = await runCli(["list", "--json"], {
        env: { PRYX_HOME: home },
      });
      assert.equal(JSON.parse(list.stdout)[0].socket, socket);
      const table = await runCli(["list"], { env: { PRYX_HOME: home } });
      assert.match(table.stdout, /^INSTANCE\s+STATUS.*\s+SOCKET\s+NOTE$/m);
      assert(table.stdout.includes(` ${socket}`), table.stdout);
      const info = await socketFetch(socket, "/info");
      assert.equal(info.status, 200);
      assert.equal(JSON.parse(info.body).socket, socket);
      assert.equal(JSON.parse(info.body).token, undefined);
    });
  },
});

Deno.test({
  name:
    "socket: token rules are the same over the socket (--auth token: /info 401 without, 200 with; control needs it always)",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (home) => {
      await using server = await startServer(home, ["--auth", "token"]);
      const { socket, token } = readRecord(home);
      assert.equal((await socketFetch(socket, "/info")).status, 401);
      const authorized = await socketFetch(socket, "/info", {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(authorized.status, 200);
      const shutdown = await socketFetch(socket, "/control/shutdown", {
        method: "POST",
      });
      assert.equal(shutdown.status, 401);
      const stopping = await socketFetch(socket, "/control/shutdown", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(stopping.status, 202);
      const { code } = await server.exited();
      assert.equal(code, 0);
      // Its own socket goes with it.
      assert(!exists(socket), "the socket was left behind");
    });
  },
});

Deno.test({
  name:
    "socket: a SIGKILLed runtime's socket is replaced by the next start, which answers on it",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (home) => {
      const socket = `${home}/runtime.sock`;
      const first = await startServer(home);
      const firstRun = readRecord(home).runId;
      await first.stop("SIGKILL");
      assert(Deno.lstatSync(socket).isSocket, "SIGKILL leaves the socket");
      await using second = await startServer(home);
      assert.notEqual(second.port, 0);
      const health = JSON.parse((await socketFetch(socket, "/health")).body);
      assert.notEqual(health.runId, firstRun);
      assert.equal(health.runId, readRecord(home).runId);
    });
  },
});

for (
  const [what, plant] of [
    ["a regular file", (p: string) => Deno.writeTextFileSync(p, "mine\n")],
    ["a directory", (p: string) => Deno.mkdirSync(p)],
    [
      "a symbolic link to elsewhere",
      (p: string, elsewhere: string) => Deno.symlinkSync(elsewhere, p),
    ],
  ] as const
) {
  Deno.test({
    name:
      `socket: ${what} at the socket's path is neither removed nor followed: one line, exit 5`,
    ignore: NO_SOCKETS,
    async fn() {
      await withHome(async (home) => {
        const elsewhere = await tempHome();
        try {
          const target = `${elsewhere}/target`;
          Deno.writeTextFileSync(target, "keep\n");
          const socket = `${home}/runtime.sock`;
          plant(socket, target);
          const before = Deno.lstatSync(socket);
          const { code, stderr } = await runCli(["serve"], {
            env: { PRYX_HOME: home },
          });
          assert.equal(code, 5, stderr);
          const lines = stderr.trim().split("\n");
          assert.equal(lines.length, 1, stderr);
          assert.match(lines[0], /runtime\.sock/);
          assert.match(
            lines[0],
            new RegExp(`it is ${what.replace(" to elsewhere", "")},`),
          );
          assert.match(lines[0], /move it away/);
          const after = Deno.lstatSync(socket);
          assert.equal(after.ino, before.ino, "the path was replaced");
          assert.equal(Deno.readTextFileSync(target), "keep\n");
          assert(!exists(`${home}/runtime.port`));
          assert(!exists(`${home}/runtime.json`));
        } finally {
          await Deno.remove(elsewhere, { recursive: true });
        }
      });
    },
  });
}

Deno.test({
  name:
    "socket: removed (alone, or with the whole state directory), it is put back and answers again",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (home) => {
      await using _server = await startServer(home);
      const socket = `${home}/runtime.sock`;
      const { runId } = readRecord(home);
      const back = async () => {
        const deadline = Date.now() + 2000;
        while (Date.now() < deadline) {
          try {
            const res = await socketFetch(socket, "/health");
            if (JSON.parse(res.body).runId === runId) return true;
          } catch {
            // not yet
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        return false;
      };
      Deno.removeSync(socket);
      assert(await back(), "the socket was not put back");
      Deno.removeSync(home, { recursive: true });
      assert(await back(), "the socket was not put back with the directory");
      assertMode(socket, 0o600);
    });
  },
});

Deno.test({
  name:
    "socket: a state directory too deep for a socket address gets a short private path, named in the json and removed on shutdown",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (root) => {
      const home = deepHome(root);
      const runtimeDir = privateDir(root, "xdg");
      const env = { XDG_RUNTIME_DIR: runtimeDir };
      const server = await startServer(home, [], { env });
      const { socket } = readRecord(home);
      assert.match(
        socket,
        new RegExp(`^${runtimeDir}/pryx/[0-9a-f]{16}\\.sock$`),
      );
      assertMode(`${runtimeDir}/pryx`, 0o700);
      assertMode(socket, 0o600);
      assert(!exists(`${home}/runtime.sock`));
      const health = JSON.parse((await socketFetch(socket, "/health")).body);
      assert.equal(health.runId, readRecord(home).runId);
      const { code } = await server.stop("SIGTERM");
      assert.equal(code, 0);
      assert(!exists(socket), "the short socket was left behind");
    });
  },
});

Deno.test({
  name:
    "socket: a private socket directory others may write to, or a symbolic link, is refused with exit 5",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (root) => {
      const home = deepHome(root);
      const runtimeDir = `${root}/xdg`;
      Deno.mkdirSync(`${runtimeDir}`, { mode: 0o700 });
      Deno.mkdirSync(`${runtimeDir}/pryx`);
      Deno.chmodSync(`${runtimeDir}/pryx`, 0o777);
      const env = { PRYX_HOME: home, XDG_RUNTIME_DIR: runtimeDir };
      const open = await runCli(["serve"], { env });
      assert.equal(open.code, 5, open.stderr);
      assert.match(open.stderr, /others may write to it \(mode 0777\)/);
      Deno.removeSync(`${runtimeDir}/pryx`);
      const elsewhere = `${root}/elsewhere`;
      Deno.mkdirSync(elsewhere, { mode: 0o700 });
      Deno.symlinkSync(elsewhere, `${runtimeDir}/pryx`);
      const linked = await runCli(["serve"], { env });
      assert.equal(linked.code, 5, linked.stderr);
      assert.match(linked.stderr, /not a directory \(a symbolic link\?\)/);
      assert.deepEqual([...Deno.readDirSync(elsewhere)], []);
      // A directory of one's own that others may only enter is made private.
      Deno.removeSync(`${runtimeDir}/pryx`);
      Deno.mkdirSync(`${runtimeDir}/pryx`);
      Deno.chmodSync(`${runtimeDir}/pryx`, 0o755);
      await using _server = await startServer(home, [], { env });
      assertMode(`${runtimeDir}/pryx`, 0o700);
    });
  },
});

Deno.test({
  name:
    "socket: prune removes a SIGKILLed runtime's socket (also a short path), never a file that is not a socket",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (root) => {
      const env = { XDG_RUNTIME_DIR: `${root}/xdg` };
      Deno.mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
      const home = `${root}/state`;
      const deep = deepHome(root, "");
      const killed = await startServer(home, [], { env });
      await killed.stop("SIGKILL");
      const killedDeep = await startServer(deep, [], { env });
      const short = readRecord(deep).socket;
      await killedDeep.stop("SIGKILL");
      assert(Deno.lstatSync(short).isSocket);
      Deno.writeTextFileSync(`${home}/other.sock`, "not a socket\n");
      const pruned = await runCli(["prune", "--json"], {
        env: { ...env, PRYX_HOME: home },
      });
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.deepEqual(JSON.parse(pruned.stdout), [
        {
          instance: "runtime",
          files: [
            "runtime.json",
            "runtime.lock",
            "runtime.port",
            "runtime.sock",
          ],
        },
      ]);
      assert.deepEqual(
        [...Deno.readDirSync(home)].map((e) => e.name),
        ["other.sock"],
      );
      const prunedDeep = await runCli(["prune", "--json"], {
        env: { ...env, PRYX_HOME: deep },
      });
      assert.equal(prunedDeep.code, 0, prunedDeep.stderr);
      assert.deepEqual(JSON.parse(prunedDeep.stdout)[0].files, [
        "runtime.json",
        "runtime.lock",
        "runtime.port",
        short,
      ]);
      assert(!exists(short), "the short socket was left behind");
    });
  },
});

Deno.test({
  name:
    "socket: an XDG_RUNTIME_DIR that is not the user's alone (open to others, another uid's, a symbolic link, missing) is passed over for /tmp/pryx-<uid>, and left untouched",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (root) => {
      const home = deepHome(root);
      const open = `${root}/open`;
      Deno.mkdirSync(open);
      Deno.chmodSync(open, 0o777);
      const theirs = `${root}/theirs`;
      Deno.mkdirSync(theirs, { mode: 0o700 });
      const linked = `${root}/linked`;
      Deno.symlinkSync(`${root}/mine`, linked);
      Deno.mkdirSync(`${root}/mine`, { mode: 0o700 });
      const cases = [open, linked, `${root}/missing/deeper`];
      if (Deno.uid() === 0) {
        Deno.chownSync(theirs, 65534, 65534);
        cases.push(theirs);
      }
      for (const runtimeDir of cases) {
        const server = await startServer(home, [], {
          env: { XDG_RUNTIME_DIR: runtimeDir },
        });
        try {
          const { socket } = readRecord(home);
          assert.match(
            socket,
            new RegExp(`^/tmp/pryx-${Deno.uid()}/[0-9a-f]{16}\\.sock$`),
            runtimeDir,
          );
          assert(!exists(`${runtimeDir}/pryx`), `${runtimeDir}/pryx was made`);
        } finally {
          await server.stop("SIGTERM");
        }
      }
      assert(!exists(`${root}/missing`), "a missing XDG_RUNTIME_DIR was made");
      assert.deepEqual([...Deno.readDirSync(`${root}/mine`)], []);
    });
  },
});

Deno.test({
  name:
    "socket: a short-path socket removed while the runtime runs is put back; a symbolic link planted there is refused in one line, not one per retry",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (root) => {
      const home = deepHome(root);
      const runtimeDir = privateDir(root, "xdg");
      await using server = await startServer(home, [], {
        env: { XDG_RUNTIME_DIR: runtimeDir },
      });
      const { socket, runId } = readRecord(home);
      const answers = async () => {
        try {
          const res = await socketFetch(socket, "/health");
          return JSON.parse(res.body).runId === runId;
        } catch {
          return false;
        }
      };
      Deno.removeSync(socket);
      assert(
        await waitUntil(answers, 2000),
        "the short socket was not put back",
      );
      // A link planted in its place: never followed, said once.
      const target = `${root}/target`;
      Deno.writeTextFileSync(target, "keep\n");
      Deno.removeSync(socket);
      Deno.symlinkSync(target, socket);
      await new Promise((r) => setTimeout(r, 1000));
      const said = server.stderr().split("\n").filter((l) =>
        l.includes("symbolic link")
      );
      assert.equal(said.length, 1, server.stderr());
      assert.equal(Deno.readTextFileSync(target), "keep\n");
      assert(Deno.lstatSync(socket).isSymlink);
      Deno.removeSync(socket);
      assert(
        await waitUntil(answers, 2000),
        "not put back after the link went",
      );
    });
  },
});

Deno.test({
  name:
    "socket: discover --format socket, --env and --json never hand out a socket path that is gone or is a link to another listener",
  ignore: NO_SOCKETS,
  async fn() {
    await withHome(async (home) => {
      await using _server = await startServer(home);
      const socket = `${home}/runtime.sock`;
      const elsewhere = await tempHome();
      const other = Deno.listen({
        transport: "unix",
        path: `${elsewhere}/other.sock`,
      });
      try {
        const env = { PRYX_HOME: home };
        // Quicker than the republish: a link in its place, checked at once.
        Deno.removeSync(socket);
        Deno.symlinkSync(`${elsewhere}/other.sock`, socket);
        const bySocket = await runCli(["discover", "--format", "socket"], {
          env,
        });
        const asEnv = await runCli(["discover", "--env"], { env });
        const asJson = await runCli(["discover", "--json"], { env });
        assert.equal(bySocket.code, 1, bySocket.stdout);
        assert.equal(bySocket.stdout, "");
        assert.doesNotMatch(asEnv.stdout, /PRYX_SOCKET/);
        assert.equal(asEnv.code, 0, asEnv.stderr);
        assert.equal(JSON.parse(asJson.stdout).socket, undefined);
      } finally {
        other.close();
        await Deno.remove(elsewhere, { recursive: true });
      }
    });
  },
});
