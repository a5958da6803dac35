import { createHmac, timingSafeEqual } from "node:crypto";

const DIGEST_BYTES = 32;

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

  /** Constant-time comparison of fixed-length digests; a malformed stored value never matches. */
  matches(secret: string, storedHex: string): boolean {
    const stored = Buffer.from(storedHex, "hex");
    if (stored.length !== DIGEST_BYTES) return false;
    return timingSafeEqual(this.digest(secret), stored);
  }

  private digest(secret: string): Buffer {
    return createHmac("sha256", this.key).update(secret, "utf8").digest();
  }
}
