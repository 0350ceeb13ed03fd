/**
 * Unit tests of the WebSocket frame parser (lease frames).
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseClientMessage } from "../../lib/shared/protocol.ts";

Deno.test("a lease frame parses with its id, whatever JSON value it is", () => {
  assert.deepStrictEqual(parseClientMessage('{"type":"lease","id":"a"}'), {
    type: "lease",
    id: "a",
  });
  assert.deepStrictEqual(parseClientMessage('{"type":"lease","id":7}'), {
    type: "lease",
    id: 7,
  });
});

Deno.test("a lease frame without an id (or a null one) is a missing_field error", () => {
  for (const frame of ['{"type":"lease"}', '{"type":"lease","id":null}']) {
    const msg = parseClientMessage(frame);
    assert.deepStrictEqual(msg.type, "error");
    assert.deepStrictEqual("code" in msg && msg.code, "missing_field");
  }
});
