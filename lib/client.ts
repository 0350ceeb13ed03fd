/**
 * The client module's public entry point, for Deno, Node and Bun: what an
 * application imports to find a live pryx-core runtime and talk to it. The
 * code lives on the discovery side (`lib/discovery/client.ts`); this file
 * only names what is public, so the package build and imports from a
 * checkout have one stable path.
 *
 * @example
 * ```ts
 * import { getApiUrl } from "./lib/client.ts";
 *
 * const api = await getApiUrl();
 * console.log(await (await fetch(`${api}/health`)).json());
 * ```
 *
 * @module
 */

export * from "./discovery/client.ts";
