/**
 * Figure `pubsub`: WebSocket pub/sub 1 to 1, events per second delivered
 * (see `bench/figures/_ws.ts`).
 *
 * @module
 */

import { wsFigure } from "./_ws.ts";

/** The pub/sub figure. */
export const pubsub = wsFigure("pubsub", () => 1);
