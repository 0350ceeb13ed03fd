/**
 * Figure `discover`: the wall time of `pryx-core discover` against a live
 * runtime, against a bare Deno script that reads the port file, checks
 * `/health` and prints the port (`bench/baselines/discover.ts`). Goal
 * (SPEC 6a): at most 1.10x.
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
import { childEnv } from "../../tests/_harness/cli.ts";

/**
 * Runs `cmd` once on state directory `home`, checks that it printed
 * `expected`, and returns its wall time in ms.
 */
export async function timeRun(
  cmd: Cmd,
  home: string,
  expected: string,
): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd[0], {
    args: cmd[1],
    env: childEnv({ PRYX_HOME: home }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const t1 = performance.now();
  const printed = new TextDecoder().decode(out.stdout).trim();
  if (out.code !== 0 || printed !== expected) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    throw new Error(
      `${cmd[1].join(" ")} exited ${out.code} printing "${printed}": ${why}`,
    );
  }
  return t1 - t0;
}

/** The discover figure. */
export const discover: Bench = {
  name: "discover",
  figures: () => [
    figure("discover", "discover: wall time (ms)", {
      lowerIsBetter: true,
      ratio: 1.10,
    }),
  ],
  async measure(plan, [fig]) {
    await withServer(PRYX_SERVE(), async (server, home) => {
      const cmds: Record<Side, Cmd> = {
        pryx: pryxCommand(["discover"]),
        baseline: baselineCommand("discover.ts"),
      };
      const once = (side: Side) =>
        timeRun(cmds[side], home, String(server.port));
      await once("pryx");
      await once("baseline");
      await alternate(plan.startRounds, fig, once);
    });
  },
};
