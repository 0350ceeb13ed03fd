/**
 * Figure `discover_socket`: reaching a runtime over its Unix socket against
 * over TCP (SPEC 6a: the socket no slower). Two rows, each the wall time of
 * one process, both sides against the same pryx-core runtime:
 * - a bare client doing one `GET /health` over a socket client against one
 *   over TCP (`bench/baselines/health_get.ts`): what the socket costs Deno;
 * - `pryx-core discover --format socket` against `--format port`. A
 *   runtime of this machine is still checked over TCP (the socket is for
 *   whom only it reaches, SPEC 4), so this row is what printing the socket
 *   costs, not a fetch over it.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  PRYX_SERVE,
  type Side,
  withServer,
} from "../_bench.ts";
import { baselineCommand, type Cmd, pryxCommand } from "../_proc.ts";
import { timeRun } from "./discover.ts";

/** The socket path of the runtime whose state directory is `home`. */
function socketOf(home: string): string {
  const record = JSON.parse(Deno.readTextFileSync(`${home}/runtime.json`));
  if (typeof record.socket !== "string") {
    throw new Error("the runtime published no socket (SPEC 4: Linux, macOS)");
  }
  return record.socket;
}

/** The discover-over-socket figures. */
export const discover_socket: Bench = {
  name: "discover_socket",
  figures: () => [
    figure("health_socket", "GET /health, socket vs TCP (ms)", {
      lowerIsBetter: true,
      ratio: 1.0,
    }),
    figure("discover_socket", "discover --format socket vs port (ms)", {
      lowerIsBetter: true,
      ratio: 1.0,
    }),
  ],
  async measure(plan, [get, discover]) {
    await withServer(PRYX_SERVE(), async (server, home) => {
      const socket = socketOf(home);
      const [deno, args] = baselineCommand("health_get.ts");
      const gets: Record<Side, Cmd> = {
        pryx: [deno, [...args, "--socket", socket]],
        baseline: [deno, [...args, "--port", String(server.port)]],
      };
      const discovers: Record<Side, [Cmd, string]> = {
        pryx: [pryxCommand(["discover", "--format", "socket"]), socket],
        baseline: [
          pryxCommand(["discover", "--format", "port"]),
          String(server.port),
        ],
      };
      const getOnce = (side: Side) => timeRun(gets[side], home, "200");
      const discoverOnce = (side: Side) =>
        timeRun(discovers[side][0], home, discovers[side][1]);
      for (const side of ["pryx", "baseline"] as const) {
        await getOnce(side);
        await discoverOnce(side);
      }
      await alternate(plan.startRounds, get, getOnce);
      await alternate(plan.startRounds, discover, discoverOnce);
    });
  },
};
