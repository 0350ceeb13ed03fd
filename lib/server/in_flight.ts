/**
 * Counts requests whose answer is still pending, so shutdown can let them
 * finish before it closes the listeners. `Deno.HttpServer.shutdown()` alone
 * cuts off a request body that is still being uploaded.
 *
 * @module
 */

import type { Handler } from "./listen.ts";

/** Tracks the asynchronous requests of a handler. */
export class InFlight {
  #count = 0;
  #idle: PromiseWithResolvers<void> | undefined;

  /** Requests answered asynchronously and not settled yet. */
  get count(): number {
    return this.#count;
  }

  /**
   * Wraps `handler`. A synchronous answer (the `/health` fast path, a
   * WebSocket upgrade) is passed through untouched: only promises are
   * counted, so the hot path pays one type check.
   */
  wrap(handler: Handler): Handler {
    return (req, info) => {
      const res = handler(req, info);
      if (!(res instanceof Promise)) return res;
      this.#count++;
      return res.finally(() => {
        if (--this.#count === 0) this.#idle?.resolve();
      });
    };
  }

  /** Resolves once no request is pending (at once when none is). */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    const idle = this.#idle;
    return idle.promise.finally(() => {
      if (this.#idle === idle) this.#idle = undefined;
    });
  }
}
