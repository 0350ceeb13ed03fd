/**
 * Unit tests of keeping the listeners accepting, against a fake bound
 * address: a loop that ends for want of descriptors is bound again after
 * a backoff, with one line; any other end is logged; a stopped watch binds
 * nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { keepAccepting } from "../../lib/server/keep_accepting.ts";
import { isOutOfDescriptors } from "../../lib/shared/errors.ts";
import type { Bound, Server } from "../../lib/server/listen.ts";

const EMFILE = new Error("Http: Error: Too many open files (os error 24)");

/** A server whose accept loop ends when `end` is called. */
function fakeServer() {
  const done = Promise.withResolvers<void>();
  done.promise.catch(() => {});
  return {
    server: { finished: done.promise } as unknown as Server,
    end: (err?: unknown) => err ? done.reject(err) : done.resolve(),
  };
}

/** A bound address of one fake server; `reopen` fails `failures` times. */
function fakeBound(failures: unknown[]) {
  const first = fakeServer();
  const reopened: ReturnType<typeof fakeServer>[] = [];
  const bound: Bound = {
    port: 4242,
    servers: [first.server],
    reopen(index) {
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      const next = fakeServer();
      reopened.push(next);
      bound.servers[index] = next.server;
      return next.server;
    },
  };
  return { bound, first, reopened };
}

const collect = () => {
  const lines: string[] = [];
  return {
    lines,
    log: (level: string, msg: string) => lines.push(`${level}: ${msg}`),
  };
};
const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("isOutOfDescriptors knows EMFILE and ENFILE as Deno words them", () => {
  assert(isOutOfDescriptors(EMFILE));
  assert(
    isOutOfDescriptors(
      new Error("Too many open files in system (os error 23)"),
    ),
  );
  assert(
    !isOutOfDescriptors(
      new Deno.errors.AddrInUse("Address in use (os error 98)"),
    ),
  );
});

Deno.test("a loop ended for want of descriptors is bound again, through AddrInUse and EMFILE, and watched again", async () => {
  const { bound, first, reopened } = fakeBound([
    new Deno.errors.AddrInUse("in use (os error 98)"),
    EMFILE,
  ]);
  const out = collect();
  const waits: number[] = [];
  keepAccepting(bound, out, {
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  first.end(EMFILE);
  for (let i = 0; i < 20 && reopened.length === 0; i++) await tick();
  assert.deepStrictEqual(reopened.length, 1);
  assert.deepStrictEqual(waits, [50, 100, 200]);
  assert.deepStrictEqual(bound.servers[0], reopened[0].server);
  assert.match(out.lines[0], /^warn: Out of file descriptors/);
  assert.match(
    out.lines.at(-1)!,
    /^info: Accepting connections on port 4242 again/,
  );
  // The new one is watched too.
  reopened[0].end(EMFILE);
  for (let i = 0; i < 20 && reopened.length === 1; i++) await tick();
  assert.deepStrictEqual(reopened.length, 2);
});

Deno.test("another end of the loop is logged as an error; a stopped watch binds nothing", async () => {
  const a = fakeBound([]);
  const out = collect();
  keepAccepting(a.bound, out, { sleep: () => Promise.resolve() });
  a.first.end(new Error("boom"));
  await tick();
  await tick();
  assert.match(
    out.lines.join("\n"),
    /^error: The listener on port 4242 stopped: boom/,
  );
  assert.deepStrictEqual(a.reopened.length, 0);

  const b = fakeBound([]);
  keepAccepting(b.bound, out, { sleep: () => Promise.resolve() }).stop();
  b.first.end(EMFILE);
  for (let i = 0; i < 5; i++) await tick();
  assert.deepStrictEqual(b.reopened.length, 0);
});
