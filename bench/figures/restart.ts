/**
 * Figure `restart`: the time from a restart of the runtime (the old one
 * stopped with SIGTERM and gone, the new one spawned at once) to a client
 * being open on the new one again, by the client's clock: a `connect()`
 * client against the loop an application writes by hand
 * (`bench/_clients.ts`). Median and p99 over `plan.restartSamples`
 * restarts per side (100 in a full run), the two sides alternating.
 *
 * @module
 */

import { alternate, type Bench, figure, PRYX_SERVE } from "../_bench.ts";
import {
  type Client,
  clientCommands,
  epochNow,
  startClient,
} from "../_clients.ts";
import { type Server, startServer } from "../_proc.ts";

/** A runtime and a client of it, in their own state directory. */
interface Rig {
  home: string;
  server: Server;
  client: Client;
}

/** Restarts `rig`'s runtime; returns ms from the spawn to the client's next `open`. */
async function restartOnce(rig: Rig): Promise<number> {
  await rig.server.stop("SIGTERM");
  const spawnedAt = epochNow();
  rig.server = await startServer(PRYX_SERVE(), rig.home);
  const line = await rig.client.next("open", 20_000);
  return Number(line.split(" ")[1]) - spawnedAt;
}

/** The restart figures: median and p99. */
export const restart: Bench = {
  name: "restart",
  figures: (plan) => [
    figure(
      "restart",
      `restart to open, median of ${plan.restartSamples} (ms)`,
      { lowerIsBetter: true },
    ),
    figure("restart_p99", `restart to open, p99 (ms)`, {
      lowerIsBetter: true,
      summary: "p99",
    }),
  ],
  async measure(plan, [mid, p99]) {
    const cmds = clientCommands();
    const rigs: Partial<Record<"pryx" | "baseline", Rig>> = {};
    try {
      for (const side of ["pryx", "baseline"] as const) {
        const home = await Deno.makeTempDir({ prefix: "pryx-bench-" });
        const server = await startServer(PRYX_SERVE(), home).catch(
          async (err) => {
            await Deno.remove(home, { recursive: true });
            throw err;
          },
        );
        const client = startClient(cmds[side], home);
        rigs[side] = { home, server, client };
        await client.next("open", 20_000);
      }
      await alternate(
        plan.restartSamples,
        mid,
        (side) => restartOnce(rigs[side]!),
      );
      p99.pryx.push(...mid.pryx);
      p99.baseline.push(...mid.baseline);
    } finally {
      for (const rig of Object.values(rigs)) {
        await rig.client.stop();
        await rig.server.stop();
        await Deno.remove(rig.home, { recursive: true });
      }
    }
  },
};
