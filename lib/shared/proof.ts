/**
 * Proof of ownership: `GET /health?challenge=NONCE` answers
 * `proof = hex(HMAC-SHA256(token, NONCE))`. A reader that took the token
 * from the 0600 `<instance>.json` sends a fresh random nonce and checks the
 * proof, so a process that took a dead runtime's port cannot pass for it,
 * even with a copied pid and run id.
 *
 * Both sides use these functions: the server to answer, the discovery side
 * (CLI and client module on Deno, Node and Bun) to verify. Web Crypto only
 * (`crypto.subtle`, HMAC as in RFC 2104 with SHA-256 of FIPS 180-4).
 *
 * @module
 */

/** Shortest challenge accepted, in hex characters (64 bits). */
export const CHALLENGE_HEX_MIN = 16;
/** Longest challenge accepted, in hex characters. */
export const CHALLENGE_HEX_MAX = 128;

/** The query parameter of `/health` that carries the challenge. */
export const CHALLENGE_PARAM = "challenge";

const CHALLENGE_RE = new RegExp(
  `^[0-9a-fA-F]{${CHALLENGE_HEX_MIN},${CHALLENGE_HEX_MAX}}$`,
);

/**
 * Whether `nonce` is an acceptable challenge: 16-128 hex characters (at
 * least 64 bits, so a proof cannot be replayed by chance).
 */
export function isValidChallenge(nonce: string): boolean {
  return CHALLENGE_RE.test(nonce);
}

/**
 * A fresh challenge: 128 random bits from the Web Crypto API, as 32
 * lower-case hex characters.
 */
export function generateChallenge(): string {
  return randomHex(16);
}

/** `bytes` random bytes from the Web Crypto API, as lower-case hex. */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Lower-case hex of `bytes`. */
function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const b of bytes) hex += (b < 16 ? "0" : "") + b.toString(16);
  return hex;
}

/**
 * The HMAC-SHA256 key for `token` (its UTF-8 bytes), importable once and
 * reused for every proof.
 */
export function proofKey(token: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/**
 * The proof for `challenge`: `hex(HMAC-SHA256(token, challenge))`, the MAC
 * taken over the challenge's characters as sent (UTF-8), 64 lower-case hex
 * characters.
 *
 * @param key The token, or its key from {@linkcode proofKey}.
 *
 * @example
 * ```ts
 * await computeProof("secret", "00112233445566778899aabbccddeeff"); // 64 hex chars
 * ```
 */
export async function computeProof(
  key: string | CryptoKey,
  challenge: string,
): Promise<string> {
  const k = typeof key === "string" ? await proofKey(key) : key;
  const mac = await crypto.subtle.sign(
    "HMAC",
    k,
    new TextEncoder().encode(challenge),
  );
  return toHex(new Uint8Array(mac));
}

/**
 * Whether `proof` is the proof of `challenge` under a token (or its key
 * from {@linkcode proofKey}). The comparison
 * is Web Crypto's own HMAC verification (constant time); anything that is
 * not 64 hex characters is simply wrong.
 */
export async function verifyProof(
  key: string | CryptoKey,
  challenge: string,
  proof: unknown,
): Promise<boolean> {
  if (typeof proof !== "string" || !/^[0-9a-fA-F]{64}$/.test(proof)) {
    return false;
  }
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    mac[i] = parseInt(proof.slice(i * 2, i * 2 + 2), 16);
  }
  return await crypto.subtle.verify(
    "HMAC",
    typeof key === "string" ? await proofKey(key) : key,
    mac,
    new TextEncoder().encode(challenge),
  );
}

/** Whether this runtime has the Web Crypto API that proofs need. */
export function canProve(): boolean {
  return typeof globalThis.crypto?.subtle?.sign === "function";
}
