/**
 * Figure `fanout`: WebSocket fan-out 1 to 1,000, events per second
 * delivered (see `bench/figures/_ws.ts`).
 *
 * @module
 */

import { wsFigure } from "./_ws.ts";

/** The fan-out figure. */
export const fanout = wsFigure("fanout", (plan) => plan.fanout);
