/**
 * Unit tests of the service texts (`lib/cli/service_unit.ts`): one
 * description, rendered for each OS, and each text checked by its own
 * rules: the systemd unit by `systemd-analyze verify` (Linux), the launchd
 * property list and the Task Scheduler XML by the strict reader of
 * `tests/_harness/xml.ts`. Also how pryx-core is found for the unit.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  describeService,
  escapeXml,
  findLauncher,
  type LauncherFiles,
  renderService,
  requireManager,
  type ServiceInput,
  servicePath,
  systemdQuote,
  taskXml,
} from "../../lib/cli/service_unit.ts";
import { envFromRecord, RUNTIME_PERMISSIONS } from "../../lib/shared/config.ts";
import { NOT_LINUX, runProgram } from "../_harness/cli.ts";
import {
  elementsOf,
  parsePlist,
  parseXml,
  textOf,
  type XmlElement,
} from "../_harness/xml.ts";

const INPUT: ServiceInput = {
  instance: "dev",
  launcher: { program: "/opt/pryx core/bin/pryx-core", args: [] },
  serveArgs: [
    "--listen",
    "127.0.0.1:8080",
    "--allow-origin",
    "http://localhost:5173",
  ],
  stateDir: "/home/ada/.pryx",
  home: "/home/ada",
};

Deno.test("the systemd unit: ExecStart with quoted words, the env, restart on failure, the log, wanted at login", () => {
  const unit = renderService(describeService(INPUT, "linux"));
  assert.strictEqual(
    unit,
    `# Written by "pryx-core service install --instance dev"; remove it with "pryx-core service uninstall --instance dev"
[Unit]
Description=pryx-core runtime (instance "dev")

[Service]
Type=simple
ExecStart="/opt/pryx core/bin/pryx-core" serve --instance dev --listen 127.0.0.1:8080 --allow-origin http://localhost:5173
Environment=PRYX_SERVICE=systemd
WorkingDirectory=/home/ada
Restart=on-failure
RestartSec=2
RestartPreventExitStatus=2 4 5
TimeoutStopSec=10
StandardOutput=append:/home/ada/.pryx/dev.log
StandardError=append:/home/ada/.pryx/dev.log

[Install]
WantedBy=default.target
`,
  );
});

Deno.test("systemdQuote quotes spaces and quotes, doubles % and $, and refuses a line break", () => {
  assert.strictEqual(systemdQuote("/usr/bin/deno"), "/usr/bin/deno");
  assert.strictEqual(
    systemdQuote("--allow-sys=hostname,uid"),
    "--allow-sys=hostname,uid",
  );
  assert.strictEqual(systemdQuote("a b"), '"a b"');
  assert.strictEqual(systemdQuote('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assert.strictEqual(systemdQuote("100%"), "100%%");
  assert.strictEqual(systemdQuote("$HOME"), '"$$HOME"');
  assert.throws(() => systemdQuote("a\nb"), /line break/);
});

Deno.test({
  name:
    "the systemd unit passes systemd-analyze verify, and a broken one does not",
  ignore: NOT_LINUX,
  fn: async () => {
    const tool = "/usr/bin/systemd-analyze";
    try {
      Deno.statSync(tool);
    } catch {
      throw new Error(
        `${tool} is missing: install systemd (apt-get install -y systemd) to verify the unit`,
      );
    }
    const dir = await Deno.makeTempDir({ prefix: "pryx-unit-" });
    try {
      // A program that exists (verify checks ExecStart), in a path with a
      // space and a %, so the quoting is what is verified.
      const odd = `${dir}/my bin%`;
      await Deno.mkdir(odd);
      await Deno.symlink(Deno.execPath(), `${odd}/deno`);
      const service = describeService({
        ...INPUT,
        launcher: {
          program: `${odd}/deno`,
          args: ["run", ...RUNTIME_PERMISSIONS, `${dir}/main 100%.ts`],
        },
        stateDir: `${dir}/state dir`,
      }, "linux");
      const path = `${dir}/${service.name}`;
      await Deno.writeTextFile(path, renderService(service));
      const runtime = `${dir}/run`;
      await Deno.mkdir(runtime, { mode: 0o700 });
      // The invocation that works without a running user manager: --user
      // with XDG_RUNTIME_DIR pointing at an empty directory of our own.
      const verify = (unit: string) =>
        runProgram(tool, ["--user", "verify", unit], {
          env: { XDG_RUNTIME_DIR: runtime, HOME: dir, SYSTEMD_LOG_COLOR: "0" },
        });
      const ok = await verify(path);
      assert.strictEqual(ok.code, 0, ok.stderr);
      assert.strictEqual(ok.stderr.trim(), "", "no warning either");
      const broken = `${dir}/pryx-core-broken.service`;
      await Deno.writeTextFile(
        broken,
        renderService(service).replace(
          /^ExecStart=\S+/m,
          "ExecStart=/nonexistent/deno",
        ),
      );
      const bad = await verify(broken);
      assert.notStrictEqual(
        bad.code,
        0,
        "a unit whose program is missing fails",
      );
      const unknown = `${dir}/pryx-core-unknown.service`;
      await Deno.writeTextFile(
        unknown,
        renderService(service).replace("Restart=", "Restartt="),
      );
      assert.match((await verify(unknown)).stderr, /Unknown key/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the launchd agent is a property list by Apple's DTD with the same command, env, restart policy and log", () => {
  const service = describeService(
    {
      ...INPUT,
      launcher: { program: "/usr/local/bin/pryx-core", args: [] },
      serveArgs: ["--allow-host", "a&b<c>"],
    },
    "darwin",
  );
  const plist = parsePlist(renderService(service));
  assert.deepStrictEqual(plist, {
    Label: "dev.pryx-core.dev",
    ProgramArguments: [
      "/usr/local/bin/pryx-core",
      "serve",
      "--instance",
      "dev",
      "--allow-host",
      "a&b<c>",
    ],
    EnvironmentVariables: { PRYX_SERVICE: "launchd" },
    WorkingDirectory: "/home/ada",
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ThrottleInterval: 2,
    ProcessType: "Background",
    StandardOutPath: "/home/ada/.pryx/dev.log",
    StandardErrorPath: "/home/ada/.pryx/dev.log",
  });
});

Deno.test("the Task Scheduler task parses as XML: at logon, restart on failure, cmd.exe with the env and the log", () => {
  const service = describeService({
    instance: "runtime",
    launcher: {
      program: "C:\\Users\\Ada Lovelace\\.deno\\bin\\pryx-core.cmd",
      args: [],
    },
    serveArgs: ["--listen", ":0"],
    stateDir: "C:\\Users\\Ada Lovelace\\.pryx",
    home: "C:\\Users\\Ada Lovelace",
  }, "windows");
  const xml = taskXml(service, "HOST\\ada");
  const doc = parseXml(xml);
  assert.strictEqual(doc.declaration?.encoding, "UTF-16");
  const task = doc.root;
  assert.strictEqual(task.name, "Task");
  assert.strictEqual(task.attributes.version, "1.2");
  assert.strictEqual(
    task.attributes.xmlns,
    "http://schemas.microsoft.com/windows/2004/02/mit/task",
  );
  const child = (el: XmlElement, name: string): XmlElement => {
    const found = elementsOf(el).filter((c) => c.name === name);
    assert.strictEqual(found.length, 1, `one <${name}> in <${el.name}>`);
    return found[0];
  };
  const at = (...path: string[]) => path.reduce(child, task);
  assert.deepStrictEqual(
    elementsOf(task).map((e) => e.name),
    ["RegistrationInfo", "Triggers", "Principals", "Settings", "Actions"],
  );
  assert.strictEqual(
    textOf(at("RegistrationInfo", "URI")),
    "\\pryx-core\\runtime",
  );
  assert.strictEqual(
    textOf(at("Triggers", "LogonTrigger", "UserId")),
    "HOST\\ada",
  );
  assert.strictEqual(
    textOf(at("Settings", "RestartOnFailure", "Interval")),
    "PT1M",
  );
  assert.strictEqual(textOf(at("Settings", "ExecutionTimeLimit")), "PT0S");
  assert.strictEqual(textOf(at("Actions", "Exec", "Command")), "cmd.exe");
  assert.strictEqual(
    textOf(at("Actions", "Exec", "Arguments")),
    '/d /s /c "set "PRYX_SERVICE=schtasks"&& "C:\\Users\\Ada Lovelace\\.deno\\bin\\pryx-core.cmd" "serve" "--instance" "runtime" "--listen" ":0" >> "C:\\Users\\Ada Lovelace\\.pryx\\runtime.log" 2>&1"',
  );
  assert.strictEqual(
    textOf(at("Actions", "Exec", "WorkingDirectory")),
    "C:\\Users\\Ada Lovelace",
  );
});

Deno.test("the strict XML reader refuses what XML refuses", () => {
  for (
    const [text, why] of [
      ["<a><b></a></b>", /closes/],
      ["<a>x & y</a>", /stray/],
      ["<a>&nbsp;</a>", /stray/],
      ['<a x="1" x="2"/>', /twice/],
      ["<a x=1/>", /not quoted/],
      ["<a/><b/>", /after the root/],
      ["<a><!-- a -- b --></a>", /inside a comment/],
      ["<a>", /never closed/],
      [' <?xml version="1.0"?><a/>', /whitespace before/],
    ] as const
  ) {
    assert.throws(() => parseXml(text), why, text);
  }
  assert.throws(
    () =>
      parsePlist(
        '<!DOCTYPE plist><plist version="1.0"><dict><key>a</key></dict></plist>',
      ),
    /key and no value/,
  );
  assert.throws(
    () =>
      parsePlist(
        '<!DOCTYPE plist><plist version="1.0"><dict><key>a</key><string/><key>a</key><true/></dict></plist>',
      ),
    /twice/,
  );
  assert.strictEqual(escapeXml(`<&>"'`), "&lt;&amp;&gt;&quot;&apos;");
});

Deno.test("the unit paths: the systemd user directory (XDG_CONFIG_HOME first), LaunchAgents, none for Task Scheduler", () => {
  const env = envFromRecord({ HOME: "/home/ada" });
  assert.strictEqual(
    servicePath("systemd", "dev", env, "linux"),
    "/home/ada/.config/systemd/user/pryx-core-dev.service",
  );
  assert.strictEqual(
    servicePath(
      "systemd",
      "dev",
      envFromRecord({ HOME: "/h", XDG_CONFIG_HOME: "/cfg" }),
      "linux",
    ),
    "/cfg/systemd/user/pryx-core-dev.service",
  );
  assert.strictEqual(
    servicePath("launchd", "dev", env, "darwin"),
    "/home/ada/Library/LaunchAgents/dev.pryx-core.dev.plist",
  );
  assert.strictEqual(servicePath("schtasks", "dev", env, "windows"), undefined);
  assert.throws(() => requireManager("freebsd"), /supports Linux/);
});

Deno.test("findLauncher: a compiled binary runs itself, else the pryx-core of PATH, else deno run of main.ts with the runtime's permissions", () => {
  const files = (
    present: string[],
    links: Record<string, string> = {},
  ): LauncherFiles => ({
    isFile: (p) => present.includes(p),
    realPath: (p) => links[p] ?? p,
  });
  const env = envFromRecord({ PATH: "/usr/local/bin:/usr/bin" });
  assert.deepStrictEqual(
    findLauncher("/opt/pryx-core", "/src/main.ts", env, "linux", files([])),
    { program: "/opt/pryx-core", args: [] },
  );
  assert.deepStrictEqual(
    findLauncher(
      "/usr/bin/deno",
      "/src/main.ts",
      env,
      "linux",
      files(["/usr/local/bin/pryx-core"]),
    ),
    { program: "/usr/local/bin/pryx-core", args: [] },
  );
  assert.deepStrictEqual(
    findLauncher(
      "/cache/x/deno",
      "/src/main.ts",
      env,
      "linux",
      files(["/usr/bin/deno"], { "/usr/bin/deno": "/cache/x/deno" }),
    ),
    {
      program: "/usr/bin/deno",
      args: ["run", ...RUNTIME_PERMISSIONS, "/src/main.ts"],
    },
    "the deno of PATH when it links to this one",
  );
  assert.deepStrictEqual(
    findLauncher(
      "/cache/x/deno",
      "/src/main.ts",
      env,
      "linux",
      files(["/usr/bin/deno"]),
    ),
    {
      program: "/cache/x/deno",
      args: ["run", ...RUNTIME_PERMISSIONS, "/src/main.ts"],
    },
    "another deno of PATH is not this one",
  );
  const win = envFromRecord({ PATH: "C:\\bin", PATHEXT: ".EXE;.CMD" });
  assert.deepStrictEqual(
    findLauncher(
      "C:\\deno\\deno.exe",
      "C:\\src\\main.ts",
      win,
      "windows",
      files(["C:\\bin\\pryx-core.cmd"]),
    ),
    { program: "C:\\bin\\pryx-core.cmd", args: [] },
  );
});
