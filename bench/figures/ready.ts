/**
 * Figure `ready`: spawn to the port file, pryx-core `serve` against a bare
 * Deno server that binds port 0 and writes its port file
 * (`bench/baselines/ready.ts`). Goal (SPEC 6a): at most 1.10x.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  PRYX_SERVE,
  withHome,
} from "../_bench.ts";
import { baselineCommand, type Cmd, startServer } from "../_proc.ts";

/** Spawn → port file, in milliseconds; the process is then killed. */
function timeReady(cmd: Cmd): Promise<number> {
  return withHome(async (home) => {
    const server = await startServer(cmd, home);
    await server.stop("SIGKILL");
    return server.readyMs;
  });
}

/** The ready figure. */
export const ready: Bench = {
  name: "ready",
  figures: () => [
    figure("ready", "ready: spawn to port file (ms)", {
      lowerIsBetter: true,
      ratio: 1.10,
    }),
  ],
  async measure(plan, [fig]) {
    const cmds = { pryx: PRYX_SERVE(), baseline: baselineCommand("ready.ts") };
    for (const side of ["pryx", "baseline"] as const) {
      await timeReady(cmds[side]); // warm the module cache
    }
    await alternate(plan.startRounds, fig, (side) => timeReady(cmds[side]));
  },
};
