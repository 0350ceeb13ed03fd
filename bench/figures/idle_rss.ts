/**
 * Figure `idle_rss`: the resident memory of an idle server that has answered
 * one `/health`, pryx-core against a bare `Deno.serve`
 * (`bench/baselines/ready.ts`). Goal (SPEC 6a): at most 1.15x.
 *
 * A second row puts a number on the republish keeper's two `Deno.watchFs`
 * watches: the same bare server with those two watches (`--watch`) against
 * it without them; the difference is what they cost.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  PRYX_SERVE,
  type Side,
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
    figure("idle_rss_watch", "  bare server with two watchFs (MiB)", {
      lowerIsBetter: true,
    }),
  ],
  async measure(plan, [fig, watches]) {
    const bare = baselineCommand("ready.ts");
    const cmds = { pryx: PRYX_SERVE(), baseline: bare };
    await alternate(plan.startRounds, fig, (side) => idleRss(cmds[side]));
    const watching: Record<Side, Cmd> = {
      pryx: [bare[0], [...bare[1], "--watch"]],
      baseline: bare,
    };
    await alternate(
      plan.startRounds,
      watches,
      (side) => idleRss(watching[side]),
    );
  },
};
