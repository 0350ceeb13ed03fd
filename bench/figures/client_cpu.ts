/**
 * Figure `client_cpu`: the CPU a reconnecting client uses while no runtime
 * exists, in % of one core: a `connect()` client against the loop an
 * application writes by hand, re-reading the port file every 100 ms
 * (`bench/_clients.ts`). Goal: below 1%.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  type Plan,
  sleep,
  withHome,
} from "../_bench.ts";
import { clientCommands, startClient } from "../_clients.ts";
import type { Cmd } from "../_proc.ts";

/**
 * CPU time of every thread of process `pid`, in seconds, from
 * `/proc/PID/task/TID/schedstat` (nanoseconds on the CPU, proc(5)):
 * finer than the 10 ms ticks of `/proc/PID/stat`, which an idle client
 * barely moves.
 */
function threadCpuSeconds(pid: number): number {
  let ns = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const text = Deno.readTextFileSync(
        `/proc/${pid}/task/${task.name}/schedstat`,
      );
      ns += Number(text.split(" ")[0]);
    } catch (err) {
      // The thread ended in between.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return ns / 1e9;
}

/** A client's CPU, in % of one core, while no runtime exists. */
function clientCpuRound(plan: Plan, cmd: Cmd): Promise<number> {
  return withHome(async (home) => {
    const client = startClient(cmd, home);
    try {
      await sleep(1000); // start-up is not idling
      const before = threadCpuSeconds(client.pid);
      const t0 = performance.now();
      await sleep(plan.idleSeconds * 1000);
      const used = threadCpuSeconds(client.pid) - before;
      return used / ((performance.now() - t0) / 1000) * 100;
    } finally {
      await client.stop();
    }
  });
}

/** The client CPU figure. */
export const client_cpu: Bench = {
  name: "client_cpu",
  figures: (plan) => [
    figure("client_cpu", `client CPU, no runtime ${plan.idleSeconds} s (%)`, {
      lowerIsBetter: true,
      abs: 1,
      absUnit: "% of a core",
    }),
  ],
  async measure(plan, [fig]) {
    const cmds = clientCommands();
    await alternate(
      plan.clientRounds,
      fig,
      (side) => clientCpuRound(plan, cmds[side]),
    );
  },
};
