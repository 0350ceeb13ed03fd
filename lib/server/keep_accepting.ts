/**
 * Running out of file descriptors never ends the runtime (SPEC 3). Under a
 * low limit (`ulimit -n 256`, a container's `--ulimit nofile`, systemd's
 * `LimitNOFILE`, macOS's default 256) a burst of connections makes
 * `accept` fail with EMFILE, and `Deno.serve` (Deno 2.9.6) then ends its
 * accept loop: its `finished` promise rejects with "Too many open files
 * (os error 24)", and the listener serves nobody again (measured: an
 * `unhandledrejection` handler keeps the process, not the listener). Deno
 * offers no way to hand it a listener of our own or to resume the loop.
 *
 * So when a listener's loop ends that way, it is bound again on the same
 * address and port, with a backoff (50 ms doubling to 1 s) while
 * descriptors are short or the old socket is still going: meanwhile new
 * connections are refused by the kernel, the ones the runtime has keep
 * working (they are not the listener's), and one line says so at most once
 * a second. It serves again as soon as descriptors are free.
 *
 * EMFILE is told by `isOutOfDescriptors` (`shared/errors.ts`).
 *
 * @module
 */

import { monotonicNow } from "../shared/clock.ts";
import { isOutOfDescriptors } from "../shared/errors.ts";
import type { Bound } from "./listen.ts";
import type { Logger } from "./log.ts";

/** The backoff of a bind again, in ms: first and longest. */
const REOPEN_BACKOFF_MS = { first: 50, max: 1000 } as const;

/** At most one line in this many ms. */
const LOG_EVERY_MS = 1000;

/** A running watch; `stop()` before the drain closes the listeners. */
export interface AcceptWatch {
  /** Stops binding again (the drain is closing the listeners). */
  stop(): void;
}

/**
 * Watches every listener of `bound`: one whose accept loop ends for want
 * of descriptors is bound again (see the module doc). Any other end of a
 * loop is logged once, as an error.
 *
 * @param options.sleep How to wait, in ms (injected by tests).
 */
export function keepAccepting(
  bound: Bound,
  log: Logger,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): AcceptWatch {
  const sleep = options.sleep ??
    ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let stopped = false;
  let lastLine = -Infinity;
  const say = (level: "warn" | "info", line: string) => {
    const now = monotonicNow();
    if (level === "warn" && now - lastLine < LOG_EVERY_MS) return;
    lastLine = now;
    log.log(level, line);
  };
  const watch = (index: number) => {
    bound.servers[index].finished.catch(async (err) => {
      if (stopped) return;
      if (!isOutOfDescriptors(err)) {
        log.log(
          "error",
          `The listener on port ${bound.port} stopped: ${
            (err as Error).message.split("\n", 1)[0]
          }`,
        );
        return;
      }
      say(
        "warn",
        `Out of file descriptors (the open-file limit is reached): new connections on port ${bound.port} are refused until some close; the ones open keep working`,
      );
      for (let delay = REOPEN_BACKOFF_MS.first;; delay *= 2) {
        await sleep(Math.min(delay, REOPEN_BACKOFF_MS.max));
        if (stopped) return;
        try {
          bound.reopen(index);
        } catch (again) {
          if (isOutOfDescriptors(again)) {
            say(
              "warn",
              `Still out of file descriptors; new connections on port ${bound.port} wait`,
            );
          }
          // AddrInUse: the old socket is still going. Either way: later.
          continue;
        }
        say("info", `Accepting connections on port ${bound.port} again`);
        watch(index);
        return;
      }
    });
  };
  bound.servers.forEach((_, index) => watch(index));
  return {
    stop() {
      stopped = true;
    },
  };
}
