/**
 * The WebSocket throughput of the `pubsub` and `fanout` figures: events per
 * second one publisher gets delivered to N subscribers (`bench/ws_load.ts`),
 * pryx-core against a bare Deno relay (`bench/baselines/ws_relay.ts`), with
 * the server's CPU time per delivered event. Goal (SPEC 6a): at least 1.0x.
 *
 * @module
 */

import {
  alternate,
  type Bench,
  figure,
  PRYX_SERVE,
  runJson,
  withCpu,
  withServer,
} from "../_bench.ts";
import { baselineCommand, scriptCommand, withFdLimit } from "../_proc.ts";

/** Events per second delivered to `subs` subscribers of one publisher. */
async function loadPubSub(
  port: number,
  subs: number,
  seconds: number,
  warmup: number,
): Promise<number> {
  const result = await runJson(withFdLimit(scriptCommand("ws_load.ts", [
    "--port",
    String(port),
    "--mode",
    "pubsub",
    "--subs",
    String(subs),
    "--seconds",
    String(seconds),
    "--warmup",
    String(warmup),
  ])));
  return result.rate;
}

/**
 * The figure `name` for 1 to `subscribers(plan)` delivery: events per
 * second, and the server's CPU per event.
 */
export function wsFigure(
  name: string,
  subscribers: (plan: { fanout: number }) => number,
): Bench {
  return {
    name,
    figures: (plan) => [
      figure(
        name,
        name === "pubsub"
          ? "pub/sub 1 to 1 (events/s)"
          : `fan-out 1 to ${subscribers(plan)} (events/s)`,
        { lowerIsBetter: false, ratio: 1.0 },
      ),
      figure(
        `${name}_cpu`,
        `  server CPU per event, 1 to ${subscribers(plan)} (us)`,
        { lowerIsBetter: true },
      ),
    ],
    async measure(plan, [fig, cpu]) {
      const subs = subscribers(plan);
      await withServer(
        withFdLimit(PRYX_SERVE()),
        (pryx) =>
          withServer(
            withFdLimit(baselineCommand("ws_relay.ts")),
            async (base) => {
              const servers = { pryx, baseline: base };
              for (const side of ["pryx", "baseline"] as const) {
                await loadPubSub(
                  servers[side].port,
                  subs,
                  Math.min(0.5, plan.wsSeconds / 2),
                  Math.min(0.2, plan.wsWarmup / 2),
                );
              }
              await alternate(plan.rounds, fig, (side) =>
                withCpu(
                  servers[side].pid,
                  // The CPU time covers the warm-up too, at about the same rate.
                  plan.wsSeconds + plan.wsWarmup,
                  cpu,
                  side,
                  () =>
                    loadPubSub(
                      servers[side].port,
                      subs,
                      plan.wsSeconds,
                      plan.wsWarmup,
                    ),
                ));
            },
          ),
      );
    },
  };
}
