/**
 * Reads a request body up to a byte limit without buffering more than the
 * limit: an oversized body is refused as soon as it passes the limit.
 *
 * @module
 */

/**
 * Why a body could not be read; `aborted` when the client went away
 * before sending all of it (nobody is left to answer).
 */
export type BodyError = "too_large" | "bad_json" | "aborted";

/**
 * Reads `req`'s body as JSON, refusing bodies over `limit` bytes.
 *
 * @returns The parsed value, or the reason it was refused.
 */
export async function readJsonBody(
  req: Request,
  limit: number,
): Promise<{ value: unknown } | { error: BodyError }> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await req.body?.cancel().catch(() => {});
    return { error: "too_large" };
  }
  if (req.body === null) return { error: "bad_json" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (err) {
      if (
        err instanceof Deno.errors.BadResource ||
        err instanceof Deno.errors.ConnectionReset
      ) return { error: "aborted" };
      throw err;
    }
    const { done, value } = result;
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { error: "too_large" };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, off);
    off += chunk.byteLength;
  }
  try {
    return {
      value: JSON.parse(
        new TextDecoder("utf-8", { fatal: true }).decode(bytes),
      ),
    };
  } catch {
    return { error: "bad_json" };
  }
}
