/**
 * Unit tests of the proof of ownership: HMAC-SHA256 through Web Crypto,
 * checked against RFC 4231 and `node:crypto`, and the challenge rules.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  computeProof,
  generateChallenge,
  isValidChallenge,
  proofKey,
  verifyProof,
} from "../../lib/shared/proof.ts";

Deno.test("computeProof matches RFC 4231 test case 2 (HMAC-SHA256)", async () => {
  assert.deepStrictEqual(
    await computeProof("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("computeProof agrees with node:crypto for a token and a challenge, by string or by key", async () => {
  const token = "CHav6HVkLpC6KgewgsAAhH1YYS79XMRokAk99XLjqYI";
  const challenge = generateChallenge();
  const expected = createHmac("sha256", token).update(challenge).digest(
    "hex",
  );
  assert.deepStrictEqual(await computeProof(token, challenge), expected);
  assert.deepStrictEqual(
    await computeProof(await proofKey(token), challenge),
    expected,
  );
});

Deno.test("verifyProof accepts the right proof in either case and rejects everything else", async () => {
  const token = "a-token-of-enough-length-0123456789";
  const challenge = "00112233445566778899aabbccddeeff";
  const proof = await computeProof(token, challenge);
  assert(await verifyProof(token, challenge, proof));
  assert(await verifyProof(token, challenge, proof.toUpperCase()));
  const flipped = (proof[0] === "0" ? "1" : "0") + proof.slice(1);
  for (
    const wrong of [
      flipped,
      proof.slice(0, -2),
      proof + "00",
      "",
      "zz".repeat(32),
      undefined,
      null,
      42,
      { proof },
    ]
  ) {
    assert(!await verifyProof(token, challenge, wrong), String(wrong));
  }
  assert(!await verifyProof(token + "x", challenge, proof), "other token");
  assert(!await verifyProof(token, challenge + "0", proof), "other challenge");
});

Deno.test("a challenge is 16-128 hex characters", () => {
  for (const ok of ["0".repeat(16), "aBcDeF0123456789", "f".repeat(128)]) {
    assert(isValidChallenge(ok), ok);
  }
  for (
    const bad of [
      "",
      "0".repeat(15),
      "0".repeat(129),
      "g".repeat(16),
      "0123456789abcde ",
      "0x23456789abcdef",
    ]
  ) {
    assert(!isValidChallenge(bad), bad);
  }
});

Deno.test("generateChallenge gives 128 fresh random bits as 32 hex characters", () => {
  const a = generateChallenge();
  const b = generateChallenge();
  assert.match(a, /^[0-9a-f]{32}$/);
  assert(isValidChallenge(a));
  assert.notDeepStrictEqual(a, b);
});
