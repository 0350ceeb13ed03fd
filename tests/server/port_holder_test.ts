/**
 * Naming the holder of a busy port (`lib/server/port_holder.ts`), for each
 * OS against recorded outputs of its tools (`ss`, `lsof`, `ps`, `netstat`,
 * `tasklist`), and the words of the message.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  busyPortWords,
  findPortHolder,
  parseLsof,
  parseNetstat,
  parseSs,
  parseTasklist,
  type ToolRunner,
} from "../../lib/server/port_holder.ts";

/** Recorded on Debian 12 (iproute2 6.1.0), `ss -Hltnp`. */
const SS =
  `LISTEN 0      511    127.0.0.1:45207 0.0.0.0:* users:(("deno",pid=346,fd=21))
LISTEN 0      128      0.0.0.0:2024  0.0.0.0:*
LISTEN 0      511    127.0.0.1:8080  0.0.0.0:* users:(("node",pid=4242,fd=23))
LISTEN 0      511        [::1]:8080     [::]:* users:(("node",pid=4242,fd=24))
LISTEN 0      4096           *:18080       *:* users:(("python3",pid=77,fd=3))
`;

/** Recorded with `lsof -nP -iTCP:8080 -sTCP:LISTEN -Fpc` (macOS 14, Linux). */
const LSOF = "p4242\ncnode\n";

/** Recorded on Windows 11, `netstat -ano -p TCP` (German locale). */
const NETSTAT_V4 = `
Aktive Verbindungen

  Proto  Lokale Adresse         Remoteadresse          Status           PID
  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN          1020
  TCP    127.0.0.1:8080         0.0.0.0:0              ABHÖREN          4242
  TCP    127.0.0.1:8080         127.0.0.1:50123        HERGESTELLT      4242
  TCP    127.0.0.1:50123        127.0.0.1:8080         HERGESTELLT      9001
`;
/** `netstat -ano -p TCPv6`. */
const NETSTAT_V6 = `
  Proto  Lokale Adresse         Remoteadresse          Status           PID
  TCP    [::]:135               [::]:0                 ABHÖREN          1020
  TCP    [::1]:8080             [::]:0                 ABHÖREN          4242
`;
/** `tasklist /FI "PID eq 4242" /FO CSV /NH`. */
const TASKLIST = `"node.exe","4242","Console","1","45.812 K"\r\n`;

/** A runner that answers from recorded outputs by tool name, logging calls. */
function recorded(
  answers: Record<string, string | undefined>,
): ToolRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = ((paths: readonly string[], args: readonly string[]) => {
    const tool = paths[0].slice(paths[0].lastIndexOf("/") + 1);
    calls.push(`${tool} ${args.join(" ")}`);
    const key = tool === "netstat" ? `netstat ${args.at(-1)}` : tool;
    return answers[key];
  }) as ToolRunner & { calls: string[] };
  run.calls = calls;
  return run;
}

Deno.test("ss output: the processes that listen on the port, on any address", () => {
  assert.deepEqual(parseSs(SS, 8080), [
    { pid: 4242, name: "node" },
    { pid: 4242, name: "node" },
  ]);
  assert.deepEqual(parseSs(SS, 18080), [{ pid: 77, name: "python3" }]);
  assert.deepEqual(parseSs(SS, 2024), [], "another user's: no process shown");
  assert.deepEqual(parseSs(SS, 80), []);
});

Deno.test("lsof -F output, netstat -ano (in any language) and tasklist CSV parse", () => {
  assert.deepEqual(parseLsof(LSOF), [{ pid: 4242, name: "node" }]);
  assert.deepEqual(parseLsof(""), []);
  assert.deepEqual(parseNetstat(NETSTAT_V4 + NETSTAT_V6, 8080), [
    { pid: 4242 },
    { pid: 4242 },
  ]);
  assert.deepEqual(parseNetstat(NETSTAT_V4, 50123), [], "not a listener");
  assert.equal(parseTasklist(TASKLIST), "node.exe");
  assert.equal(
    parseTasklist("INFO: No tasks are running which match the criteria.\r\n"),
    undefined,
  );
});

Deno.test("linux: ss names the pid, /proc/PID/cmdline the command line", () => {
  const run = recorded({
    ss: SS,
    cat: ["node", "server.js", "--port", "8080", ""].join("\0"),
  });
  assert.deepEqual(findPortHolder(8080, "linux", run), {
    known: true,
    pid: 4242,
    command: "node server.js --port 8080",
  });
  assert.deepEqual(run.calls, ["ss -Hltnp", "cat /proc/4242/cmdline"]);
});

Deno.test("linux without ss falls back to lsof; the process name serves when no command line is readable", () => {
  const run = recorded({ lsof: LSOF });
  assert.deepEqual(findPortHolder(8080, "linux", run), {
    known: true,
    pid: 4242,
    command: "node",
  });
  assert.deepEqual(run.calls, [
    "ss -Hltnp",
    "lsof -nP -iTCP:8080 -sTCP:LISTEN -Fpc",
    "cat /proc/4242/cmdline",
    "ps -o command= -p 4242",
  ]);
});

Deno.test("linux: a listener the OS does not name (another user's) is said so, without a pid", () => {
  const holder = findPortHolder(2024, "linux", recorded({ ss: SS, lsof: "" }));
  assert.equal(holder.known, false);
  assert.equal(
    busyPortWords(2024, holder),
    "port 2024 is in use (the OS did not name its process (it may belong to another user, or to another network namespace))",
  );
  const none = findPortHolder(8080, "linux", recorded({}));
  assert.deepEqual(none, {
    known: false,
    why: 'neither "ss" nor "lsof" could be run to name its process',
  });
});

Deno.test("darwin: lsof names the pid, ps the command line", () => {
  const run = recorded({ lsof: LSOF, ps: "/usr/local/bin/node server.js\n" });
  assert.deepEqual(findPortHolder(8080, "darwin", run), {
    known: true,
    pid: 4242,
    command: "/usr/local/bin/node server.js",
  });
  assert.deepEqual(run.calls, [
    "lsof -nP -iTCP:8080 -sTCP:LISTEN -Fpc",
    "ps -o command= -p 4242",
  ]);
  assert.deepEqual(findPortHolder(8080, "darwin", recorded({})), {
    known: false,
    why: '"lsof" could not be run to name its process',
  });
});

Deno.test("windows: netstat -ano names the pid, tasklist the image", () => {
  const run = recorded({
    "netstat TCP": NETSTAT_V4,
    "netstat TCPv6": NETSTAT_V6,
    tasklist: TASKLIST,
  });
  const holder = findPortHolder(8080, "windows", run);
  assert.deepEqual(holder, { known: true, pid: 4242, command: "node.exe" });
  assert.equal(
    busyPortWords(8080, holder),
    "port 8080 is in use by pid 4242 (node.exe)",
  );
  assert.deepEqual(findPortHolder(8080, "windows", recorded({})), {
    known: false,
    why: '"netstat" could not be run',
  });
});

Deno.test("several holders are named as such; a long or multi-line command line stays one bounded line", () => {
  const two =
    `${SS}LISTEN 0 5 0.0.0.0:8080 0.0.0.0:* users:(("nginx",pid=9,fd=6))\n`;
  assert.deepEqual(findPortHolder(8080, "linux", recorded({ ss: two })), {
    known: false,
    why: "several processes listen on it (pids 4242, 9)",
  });
  const words = busyPortWords(8080, {
    known: true,
    pid: 1,
    command: `python3 -c\n${"x".repeat(300)}`,
  }, "[::1]");
  assert(!words.includes("\n"));
  assert(
    words.startsWith("port 8080 is in use on [::1] by pid 1 (python3 -c x"),
  );
  assert(words.length < 200, words);
});
