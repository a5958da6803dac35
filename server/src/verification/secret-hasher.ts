import { createHmac, timingSafeEqual } from "node:crypto";

const HEX_DIGEST = /^[0-9a-f]{64}$/;

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
    // Buffer.from(…, "hex") silently stops at the first bad character, so check the shape first.
    if (!HEX_DIGEST.test(storedHex)) return false;
    return timingSafeEqual(this.digest(secret), Buffer.from(storedHex, "hex"));
  }

  private digest(secret: string): Buffer {
    return createHmac("sha256", this.key).update(secret, "utf8").digest();
  }
}
