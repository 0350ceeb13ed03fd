/**
 * The words of `pryx-core doctor` (`lib/cli/doctor_words.ts`) from made-up
 * facts: the cases a test cannot make for real here (a state directory of
 * another user needs a chown), and the exit code rule.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Check,
  doctorExitCode,
  type DoctorFacts,
  formatChecks,
  judge,
} from "../../lib/cli/doctor_words.ts";
import { parseDf } from "../../lib/cli/doctor.ts";
import type { ServiceFact } from "../../lib/cli/service.ts";
import { distrustOf } from "../../lib/shared/trust.ts";

/** Facts of a healthy machine with nothing running, changed by `over`. */
function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    os: "linux",
    env: () => undefined,
    version: "0.1.0",
    stateDir: { path: "/home/me/.pryx", present: true, mode: 0o40700 },
    instances: [],
    proxies: [],
    ipv6Loopback: true,
    fileLimit: { soft: 65536, hard: 65536 },
    onPath: [{ path: "/home/me/.deno/bin/pryx-core", version: "0.1.0" }],
    ...over,
  };
}

function byName(checks: Check[], name: string): Check {
  const found = checks.find((c) => c.check === name);
  assert(found, `no ${name} check in ${JSON.stringify(checks)}`);
  return found;
}

Deno.test("doctor: a state directory of mode 0777 fails, with the chmod that fixes it; no instance is judged", () => {
  const stat = { uid: 1000, mode: 0o40777 };
  const distrust = distrustOf("/tmp/pryx", stat, 1000, "linux")!;
  const checks = judge(facts({
    stateDir: { path: "/tmp/pryx", present: true, distrust, mode: stat.mode },
  }));
  const check = byName(checks, "state-dir");
  assert.equal(check.status, "fail");
  assert.match(check.message, /others may write to it \(mode 0777\)/);
  assert.equal(check.fix, "chmod 700 /tmp/pryx");
  assert(!checks.some((c) => c.check === "instance"));
  assert.equal(doctorExitCode(checks), 1);
});

Deno.test("doctor: a state directory owned by another user fails, with a directory of one's own", () => {
  const distrust = distrustOf(
    "/tmp/pryx",
    { uid: 0, mode: 0o40700 },
    1000,
    "linux",
  )!;
  const check = byName(
    judge(facts({ stateDir: { path: "/tmp/pryx", present: true, distrust } })),
    "state-dir",
  );
  assert.equal(check.status, "fail");
  assert.match(check.message, /belongs to uid 0, not to you \(uid 1000\)/);
  assert.equal(check.fix, 'export PRYX_HOME="$HOME/.pryx"');
});

Deno.test("doctor: a healthy machine with nothing running exits 0; every failure carries a fix", () => {
  const healthy = judge(facts());
  assert.equal(doctorExitCode(healthy), 0);
  const bad = judge(facts({
    proxies: [{ name: "https_proxy", value: "http://p:3128" }],
    ipv6Loopback: false,
    fileLimit: { soft: 256, hard: 256 },
    onPath: [
      { path: "/a/pryx-core", version: "0.1.0" },
      { path: "/b/pryx-core" },
    ],
  }));
  assert.equal(doctorExitCode(bad), 1);
  for (const c of bad.filter((c) => c.status === "fail")) {
    assert(c.fix, `${c.check} fails without a fix`);
  }
  assert.equal(byName(bad, "ipv6").status, "warn");
  assert.equal(byName(bad, "file-limit").fix, "ulimit -n 1024");
  assert.match(
    byName(bad, "path").message,
    /\/b\/pryx-core \(version unknown\)/,
  );
});

Deno.test("doctor: low free space warns; the text form is one line per check", () => {
  const checks = judge(facts({
    stateDir: { path: "/s", present: true, freeBytes: 1024 * 1024 },
  }));
  const free = byName(checks, "free-space");
  assert.equal(free.status, "warn");
  assert.match(
    free.message,
    /^1\.0 MiB free for the state directory, under 64 MiB/,
  );
  const text = formatChecks(checks);
  assert.equal(text.trimEnd().split("\n").length, checks.length);
  assert.match(text, /^warn {2}1\.0 MiB free .*; fix: free some disk space/m);
});

Deno.test("doctor: the login service is one more line: none is fine, active ok, stopped a warning and failed a failure with the manager's command; no manager, no line", () => {
  const at = "/home/ada/.config/systemd/user/pryx-core-runtime.service";
  const name = "pryx-core-runtime.service";
  const line = (service: ServiceFact) => {
    const checks = judge(facts({ service }));
    const last = checks.at(-1)!;
    assert.equal(last.check, "service");
    return last;
  };
  const none = line({ kind: "none", manager: "systemd", name });
  assert.equal(none.status, "ok");
  assert.match(none.message, /pryx-core service install/);
  const installed = (state: "active" | "inactive" | "failed" | "unknown") =>
    line({
      kind: "installed",
      manager: "systemd",
      name,
      where: at,
      state,
      uid: 1000,
      ...(state === "unknown"
        ? { why: "no systemd user manager runs here" }
        : {}),
    });
  assert.equal(installed("active").status, "ok");
  const stopped = installed("inactive");
  assert.equal(stopped.status, "warn");
  assert.equal(stopped.fix, `systemctl --user start ${name}`);
  const failed = installed("failed");
  assert.equal(failed.status, "fail");
  assert.match(
    failed.fix!,
    /^systemctl --user status pryx-core-runtime\.service/,
  );
  assert.equal(
    doctorExitCode(judge(facts({
      service: {
        kind: "installed",
        manager: "systemd",
        name,
        where: at,
        state: "failed",
        uid: 1000,
      },
    }))),
    1,
  );
  assert.match(
    installed("unknown").message,
    /state is unknown: no systemd user manager/,
  );
  // launchd and Task Scheduler start it their way.
  assert.equal(
    line({
      kind: "installed",
      manager: "launchd",
      name: "dev.pryx-core.runtime",
      where: "/Users/ada/Library/LaunchAgents/dev.pryx-core.runtime.plist",
      state: "not loaded",
      uid: 501,
    }).fix,
    "launchctl kickstart gui/501/dev.pryx-core.runtime",
  );
  assert.equal(
    line({
      kind: "installed",
      manager: "schtasks",
      name: "\\pryx-core\\runtime",
      where: "task \\pryx-core\\runtime",
      state: "inactive",
      uid: null,
    }).fix,
    'schtasks /Run /TN "\\pryx-core\\runtime"',
  );
  assert(!judge(facts()).some((c) => c.check === "service"));
});

Deno.test("doctor: df -Pk output gives the free bytes", () => {
  const df = `Filesystem     1024-blocks      Used Available Capacity Mounted on
overlay          263174212 176231348  73499660      71% /
`;
  assert.equal(parseDf(df), 73499660 * 1024);
  assert.equal(parseDf("nonsense"), undefined);
});
