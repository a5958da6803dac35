import { createHmac, timingSafeEqual } from "node:crypto";

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const DIGEST_BYTES = 32;
const NEVER_MATCHES = Buffer.alloc(0);

/**
 * The digest stored as hex in `credential.secret_hash`, as bytes. A malformed value becomes a
 * digest no secret matches (Buffer.from(…, "hex") would silently stop at the first bad character).
 */
export function storedDigest(hex: string): Buffer {
  return HEX_DIGEST.test(hex) ? Buffer.from(hex, "hex") : NEVER_MATCHES;
}

/**
 * HMAC-SHA-256 under a server-side pepper. Secrets carry ≥160 random bits, so a fast keyed hash
 * is the accepted design (a slow KDF would add ~50 ms per verification for nothing); the pepper
 * means a stolen database alone cannot test guesses offline.
 */
export class SecretHasher {
  private readonly key: Buffer;

  constructor(pepper: string) {
    this.key = Buffer.from(pepper, "utf8");
  }

  /** Hex digest, as stored in `credential.secret_hash`. */
  hash(secret: string): string {
    return this.digest(secret).toString("hex");
  }

  /** Constant-time comparison with a stored digest (see storedDigest). */
  matches(secret: string, stored: Buffer): boolean {
    return stored.length === DIGEST_BYTES && timingSafeEqual(this.digest(secret), stored);
  }

  private digest(secret: string): Buffer {
    return createHmac("sha256", this.key).update(secret, "utf8").digest();
  }
}
