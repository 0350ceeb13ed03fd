/**
 * Sockets for tests that need ports in a known state: held by another
 * program, or free next to each other.
 *
 * @module
 */

/** How many times {@linkcode holdAdjacentPorts} draws a new first port. */
const ATTEMPTS = 50;

/**
 * Holds `count` consecutive ports on `hostname` with real listeners (the
 * first one OS-assigned), so a test can make a range busy. Draws again when
 * a neighbour is taken by another program, a bounded number of times.
 *
 * @returns The listeners, first port first; close them when done.
 * @throws {Error} When no run of free ports was found.
 */
export function holdAdjacentPorts(
  count: number,
  hostname = "127.0.0.1",
): Deno.Listener[] {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const first = Deno.listen({ hostname, port: 0 });
    const port = (first.addr as Deno.NetAddr).port;
    const held = [first];
    try {
      for (let i = 1; i < count; i++) {
        if (port + i > 65535) throw new Deno.errors.AddrInUse();
        held.push(Deno.listen({ hostname, port: port + i }));
      }
      return held;
    } catch (err) {
      for (const l of held) l.close();
      if (!(err instanceof Deno.errors.AddrInUse)) throw err;
    }
  }
  throw new Error(`No ${count} adjacent free ports on ${hostname}`);
}
