import type { StoredCredential } from "./credential-lookup";
import type { Digest } from "./secret-hasher";

// The verification cache holds up to VERIFY_CACHE_MAX_ENTRIES of these (100,000 by default), so
// each is one flat latin1 string rather than an object graph: about a third of the memory
// (bench/cache-memory.ts measures it). Layout:
//   [0]            "A" active, "R" revoked, "M" malformed digest (never matches), "I" active with
//                  the secret's inner hash in place of the digest (withInnerHash)
//   [1, 14)        expiresAtMs as 13 decimal digits, all zeros when there is none
//   [14, 46)       the 32-byte HMAC digest, or for "I" the inner hash, one character per byte
//   [46]           the length of the secret ID, as a character code
//   [47, 47 + n)   the secret ID
//   [47 + n, end)  the project ID
// A Key ID that does not exist is cached as NOT_FOUND.
export type PackedCredential = string;

export const NOT_FOUND: PackedCredential = "";

const EXPIRES_AT = 1;
const DIGEST = 14;
const DIGEST_BYTES = 32;
const SECRET_ID_LENGTH = DIGEST + DIGEST_BYTES;
const SECRET_ID = SECRET_ID_LENGTH + 1;
const ACTIVE = "A";
const REVOKED = "R";
const MALFORMED = "M";
const INNER_HASH = "I";
const ZERO = 0x30;
const MAX_EXPIRY = 10 ** (DIGEST - EXPIRES_AT);

export function pack(credential: StoredCredential | null): PackedCredential {
  if (!credential) return NOT_FOUND;
  const { secretId, projectId, secretHash, expiresAtMs, revoked } = credential;
  if (secretId.length > 0xff) throw new Error("secret IDs are at most 255 characters");
  const wellFormed = secretHash.length === DIGEST_BYTES;
  const digest = wellFormed ? secretHash : "\0".repeat(DIGEST_BYTES);
  // A credential that can never be verified need not remember whether it is revoked.
  const flag = !wellFormed ? MALFORMED : revoked ? REVOKED : ACTIVE;
  return flat(
    flag +
      String(expiryField(expiresAtMs)).padStart(DIGEST - EXPIRES_AT, "0") +
      digest +
      String.fromCharCode(secretId.length) +
      secretId +
      projectId,
  );
}

/**
 * The expiry as the entry's 13 digits hold it: 0 for none. One they cannot hold (not a positive
 * whole number of ms below 10^13, such as an unreadable date's NaN) is written as 1 ms after the
 * epoch, long past: such a credential is refused, never left without an end.
 */
function expiryField(expiresAtMs: number | null): number {
  if (expiresAtMs === null) return 0;
  return Number.isSafeInteger(expiresAtMs) && expiresAtMs > 0 && expiresAtMs < MAX_EXPIRY ? expiresAtMs : 1;
}

/**
 * Concatenation builds a rope (a tree of string pieces), more than twice the size of the flat
 * string; a round trip through a buffer gives the flat one. IDs beyond latin1 keep the rope.
 */
function flat(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return text;
  return Buffer.from(text, "latin1").toString("latin1");
}

export function unpack(packed: PackedCredential): StoredCredential | null {
  if (packed === NOT_FOUND) return null;
  const flag = packed[0];
  // Read digit by digit: a slice and Number() for it cost an allocation on every cache hit.
  let expiresAtMs = 0;
  for (let i = EXPIRES_AT; i < DIGEST; i++) expiresAtMs = expiresAtMs * 10 + packed.charCodeAt(i) - ZERO;
  const secretIdEnd = secretIdEndOf(packed);
  const digest = packed.slice(DIGEST, SECRET_ID_LENGTH);
  // One shape for every entry (innerHash always set), so the verifier's reads of it stay monomorphic.
  return {
    secretId: packed.slice(SECRET_ID, secretIdEnd),
    projectId: packed.slice(secretIdEnd),
    secretHash: flag === ACTIVE || flag === REVOKED ? digest : "",
    innerHash: flag === INNER_HASH ? digest : undefined,
    expiresAtMs: expiresAtMs === 0 ? null : expiresAtMs,
    revoked: flag === REVOKED,
  };
}

/** The secret an entry belongs to, without unpacking the rest; null for NOT_FOUND. */
export function secretIdOf(packed: PackedCredential): string | null {
  if (packed === NOT_FOUND) return null;
  return packed.slice(SECRET_ID, secretIdEndOf(packed));
}

function secretIdEndOf(packed: PackedCredential): number {
  return SECRET_ID + packed.charCodeAt(SECRET_ID_LENGTH);
}

/**
 * The entry with the secret's inner hash in place of its digest, for an active credential; the
 * entry as it is otherwise. A revoked or malformed one is never verified, so it has no use for one.
 */
export function withInnerHash(packed: PackedCredential, innerHash: Digest): PackedCredential {
  if (packed[0] !== ACTIVE || innerHash.length !== DIGEST_BYTES) return packed;
  return flat(INNER_HASH + packed.slice(EXPIRES_AT, DIGEST) + innerHash + packed.slice(SECRET_ID_LENGTH));
}
