import { hash } from "node:crypto";

/**
 * A SHA-256 digest as a binary string: 32 characters, one per byte ("binary" is Node's name for
 * latin1). Not a Buffer: each Buffer crypto.hash returns is a fresh ArrayBuffer, and on the
 * verification hot path those allocations cost more than the hashing (bench/notes.md).
 */
export type Digest = string;

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const DIGEST_BYTES = 32;
const BLOCK_BYTES = 64;
const NEVER_MATCHES: Digest = "";
// Secrets this long (in UTF-16 units, ≤ 3 UTF-8 bytes each) are hashed in place; Keyturn's own are ~50.
const IN_PLACE_SECRET_LENGTH = 341;

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
  /** K ⊕ ipad, followed by room for a secret: the inner hash's input, rewritten in place. */
  private readonly inner = Buffer.alloc(BLOCK_BYTES + 3 * IN_PLACE_SECRET_LENGTH);
  /** K ⊕ opad, followed by the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK_BYTES + DIGEST_BYTES);

  constructor(pepper: string) {
    const given = Buffer.from(pepper, "utf8");
    // RFC 2104: a key longer than the block is hashed first; a shorter one is padded with zeros.
    const key = given.length > BLOCK_BYTES ? hash("sha256", given, "buffer") : given;
    for (let i = 0; i < BLOCK_BYTES; i++) {
      const byte = key[i] ?? 0;
      this.inner[i] = byte ^ 0x36;
      this.outer[i] = byte ^ 0x5c;
    }
  }

  /** Hex digest, as stored in `credential.secret_hash`. */
  hash(secret: string): string {
    return Buffer.from(this.digest(secret), "latin1").toString("hex");
  }

  /** Constant-time comparison with a stored digest (see storedDigest). */
  matches(secret: string, stored: Digest): boolean {
    if (stored.length !== DIGEST_BYTES) return false;
    const digest = this.digest(secret);
    // Every byte is compared whatever the first difference (no early exit), as timingSafeEqual does.
    let difference = 0;
    for (let i = 0; i < DIGEST_BYTES; i++) difference |= digest.charCodeAt(i) ^ stored.charCodeAt(i);
    return difference === 0;
  }

  // Synchronous from start to end, so the shared buffers are never seen half-written. The secret's
  // bytes are wiped as soon as they are hashed: this long-lived buffer must not keep the last one.
  private digest(secret: string): Digest {
    if (secret.length > IN_PLACE_SECRET_LENGTH) {
      return this.outerHash(Buffer.concat([this.inner.subarray(0, BLOCK_BYTES), Buffer.from(secret, "utf8")]));
    }
    const end = BLOCK_BYTES + this.inner.write(secret, BLOCK_BYTES, "utf8");
    const digest = this.outerHash(this.inner.subarray(0, end));
    this.inner.fill(0, BLOCK_BYTES, end);
    return digest;
  }

  private outerHash(innerInput: Buffer): Digest {
    this.outer.write(hash("sha256", innerInput, "binary"), BLOCK_BYTES, "latin1");
    return hash("sha256", this.outer, "binary");
  }
}
