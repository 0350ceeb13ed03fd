/**
 * Figure `idle_rss`: the resident memory of an idle server that has answered
 * one `/health`, pryx-core against a bare `Deno.serve`
 * (`bench/baselines/ready.ts`). Goal (SPEC 6a): at most 1.15x.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  PRYX_SERVE,
  sleep,
  withServer,
} from "../_bench.ts";
import { baselineCommand, type Cmd, rssMiB } from "../_proc.ts";

/** RSS of an idle server that has answered one `/health`, in MiB. */
export function idleRss(cmd: Cmd): Promise<number> {
  return withServer(cmd, async (server) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/health`);
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
    await sleep(500);
    return rssMiB(server.pid);
  });
}

/** The idle RSS figure. */
export const idle_rss: Bench = {
  name: "idle_rss",
  figures: () => [
    figure("idle_rss", "idle RSS (MiB)", { lowerIsBetter: true, ratio: 1.15 }),
  ],
  async measure(plan, [fig]) {
    const cmds = { pryx: PRYX_SERVE(), baseline: baselineCommand("ready.ts") };
    await alternate(plan.startRounds, fig, (side) => idleRss(cmds[side]));
  },
};
