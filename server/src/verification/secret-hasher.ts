import { createHash, hash } from "node:crypto";

/**
 * A SHA-256 digest as a binary string: 32 characters, one per byte ("binary" is Node's name for
 * latin1). Not a Buffer: each Buffer crypto.hash returns is a fresh ArrayBuffer, and on the
 * verification hot path those allocations cost more than the hashing (docs/performance.md).
 */
export type Digest = string;

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const DIGEST_BYTES = 32;
const BLOCK_BYTES = 64;
const NEVER_MATCHES: Digest = "";
const ASCII_END = 0x80;

/**
 * The digest stored as hex in `credential.secret_hash`. A malformed value becomes a digest no
 * secret matches (Buffer.from(…, "hex") would silently stop at the first bad character).
 */
export function storedDigest(hex: string): Digest {
  return HEX_DIGEST.test(hex) ? Buffer.from(hex, "hex").toString("latin1") : NEVER_MATCHES;
}

/**
 * HMAC-SHA-256 under a server-side pepper. Secrets carry ≥160 random bits, so a fast keyed hash
 * is the accepted design (a slow KDF would add ~50 ms per verification for nothing); the pepper
 * means a stolen database alone cannot test guesses offline.
 *
 * The HMAC is computed as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with the two
 * padded keys built once and two one-shot `crypto.hash` calls per secret: `createHmac` builds a
 * stream object and makes three native calls, which on the verification hot path cost more than
 * the hashing itself. The digests are createHmac's, byte for byte (see the tests).
 */
export class SecretHasher {
  /** K ⊕ ipad. */
  private readonly innerKey = Buffer.alloc(BLOCK_BYTES);
  /**
   * K ⊕ ipad as text, when all its bytes are ASCII (a pepper of at most 64 ASCII characters, as
   * `openssl rand -base64 48` makes): its UTF-8 is then itself, and the inner hash's input is this
   * text and the secret, encoded by crypto.hash in its one call. Writing the secret into a buffer
   * first took ≈ 45 % longer (bench/notes.md, 2026-12-05, fifth session).
   */
  private readonly innerKeyText: string | null;
  /** K ⊕ opad, followed by the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);

  constructor(pepper: string) {
    const given = Buffer.from(pepper, "utf8");
    // RFC 2104: a key longer than the block is hashed first; a shorter one is padded with zeros.
    const key = given.length > BLOCK_BYTES ? hash("sha256", given, "buffer") : given;
    for (let i = 0; i < BLOCK_BYTES; i++) {
      const byte = key[i] ?? 0;
      this.innerKey[i] = byte ^ 0x36;
      this.outer[i] = byte ^ 0x5c;
    }
    this.innerKeyText = this.innerKey.every((byte) => byte < ASCII_END) ? this.innerKey.toString("latin1") : null;
  }

  /** Hex digest, as stored in `credential.secret_hash`. */
  hash(secret: string): string {
    return Buffer.from(this.outerHash(this.innerHash(secret)), "latin1").toString("hex");
  }

  /**
   * The HMAC's inner hash of a secret, H((K ⊕ ipad) ‖ secret): one of its two SHA-256 calls. A
   * cache may keep it for a secret it has seen verified (CredentialCache.keepInnerHash), so that
   * checking the same secret again costs that one call. Like the stored digest, it is keyed by the
   * pepper: without it, no guess can be tested against it.
   */
  innerHash(secret: string): Digest {
    const keyText = this.innerKeyText;
    if (keyText !== null) return hash("sha256", keyText + secret, "binary");
    // Streamed, not concatenated: a Buffer of the secret would come from Node's shared pool and
    // keep its bytes there after this call.
    return createHash("sha256").update(this.innerKey).update(secret, "utf8").digest("binary");
  }

  /** Whether the secret whose inner hash this is has the stored digest as its HMAC, in constant time. */
  completes(inner: Digest, stored: Digest): boolean {
    return stored.length === DIGEST_BYTES && sameDigest(this.outerHash(inner), stored);
  }

  private outerHash(inner: Digest): Digest {
    this.outer.write(inner, BLOCK_BYTES, "latin1");
    return hash("sha256", this.outer, "binary");
  }
}

/**
 * Whether two digests are the same, in constant time: every byte is compared whatever the first
 * difference (no early exit), as timingSafeEqual does. A digest of the wrong length (a malformed
 * stored one) matches nothing.
 */
export function sameDigest(a: Digest, b: Digest): boolean {
  if (a.length !== DIGEST_BYTES || b.length !== DIGEST_BYTES) return false;
  let difference = 0;
  for (let i = 0; i < DIGEST_BYTES; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
