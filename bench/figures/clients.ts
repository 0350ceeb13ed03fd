/**
 * Figure `clients`: the resident memory of a server holding 10,000 idle
 * WebSocket clients (1,000 with `--quick`), pryx-core against a bare Deno
 * relay (`bench/baselines/ws_relay.ts`). Goal (SPEC 6a): below 300 MiB.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  firstLine,
  PRYX_SERVE,
  sleep,
  withServer,
} from "../_bench.ts";
import {
  baselineCommand,
  type Cmd,
  rssMiB,
  scriptCommand,
  withFdLimit,
} from "../_proc.ts";
import { childEnv } from "../../tests/_harness/cli.ts";
import { killIfRunning } from "../../tests/_harness/process.ts";

/** RSS of a server holding `count` idle WebSocket clients, in MiB. */
function clientsRss(cmd: Cmd, count: number): Promise<number> {
  return withServer(withFdLimit(cmd), async (server) => {
    const [prog, args] = withFdLimit(scriptCommand("ws_load.ts", [
      "--port",
      String(server.port),
      "--mode",
      "idle",
      "--conns",
      String(count),
    ]));
    const load = new Deno.Command(prog, {
      args,
      env: childEnv({}),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errText = new Response(load.stderr).text();
    try {
      const line = await firstLine(load.stdout);
      const connected = line === undefined ? 0 : JSON.parse(line).connected;
      if (connected !== count) {
        throw new Error(
          `only ${connected} of ${count} clients connected: ${
            (await errText.catch(() => "")).split("\n")[0]
          }`,
        );
      }
      await sleep(1000);
      return rssMiB(server.pid);
    } finally {
      killIfRunning(load, "SIGKILL");
      await load.status;
      await errText.catch(() => "");
    }
  });
}

/** The clients figure. */
export const clients: Bench = {
  name: "clients",
  figures: (plan) => [
    figure("clients", `RSS, ${plan.idleClients} idle WS clients (MiB)`, {
      lowerIsBetter: true,
      abs: 300,
    }),
  ],
  async measure(plan, [fig]) {
    const cmds = {
      pryx: PRYX_SERVE(),
      baseline: baselineCommand("ws_relay.ts"),
    };
    await alternate(
      plan.clientRounds,
      fig,
      (side) => clientsRss(cmds[side], plan.idleClients),
    );
  },
};
