/**
 * Figure `reconnect`: after a restart of the runtime (SIGTERM, a pause
 * while nothing runs, a new start on a new port), the time from the new
 * port file appearing to a client receiving the first event published on
 * the new runtime, by the client's clock: a `connect()` client against
 * the loop an application writes by hand (`bench/_clients.ts`). Goal: at
 * most 100 ms.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  median,
  type Plan,
  PRYX_SERVE,
  sleep,
  withHome,
} from "../_bench.ts";
import {
  CLIENT_TOPIC,
  clientCommands,
  epochNow,
  publishUntilDelivered,
  startClient,
} from "../_clients.ts";
import { type Cmd, startServer } from "../_proc.ts";

/** One round of `plan.restarts` restarts; returns its median, in ms. */
function reconnectRound(plan: Plan, cmd: Cmd): Promise<number> {
  return withHome(async (home) => {
    let server = await startServer(PRYX_SERVE(), home);
    const client = startClient(cmd, home);
    try {
      await client.next("open", 20_000);
      const samples: number[] = [];
      for (let i = 0; i < plan.restarts; i++) {
        await server.stop("SIGTERM");
        await sleep(300);
        const spawnedAt = epochNow();
        server = await startServer(PRYX_SERVE(), home);
        const appearedAt = spawnedAt + server.readyMs;
        await publishUntilDelivered(server.port, CLIENT_TOPIC);
        const line = await client.next("event", 10_000);
        samples.push(Number(line.split(" ")[1]) - appearedAt);
      }
      return median(samples);
    } finally {
      await client.stop();
      await server.stop();
    }
  });
}

/** The reconnect figure. */
export const reconnect: Bench = {
  name: "reconnect",
  figures: () => [
    figure("reconnect", "reconnect: port file to event (ms)", {
      lowerIsBetter: true,
      abs: 100,
      absUnit: "ms",
      absInclusive: true,
    }),
  ],
  async measure(plan, [fig]) {
    const cmds = clientCommands();
    await alternate(
      plan.rounds,
      fig,
      (side) => reconnectRound(plan, cmds[side]),
    );
  },
};
