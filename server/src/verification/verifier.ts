import type { CredentialFormat } from "@keyturn/shared";
import type { StoredCredential } from "./credential-lookup";
import { sameDigest, type Digest, type SecretHasher } from "./secret-hasher";

/** Why a credential was refused. For logs and metrics only: callers outside see one "invalid". */
export type InvalidReason = "MALFORMED" | "UNKNOWN_KEY_ID" | "WRONG_SECRET" | "REVOKED" | "EXPIRED";

export interface VerifiedCredential {
  projectId: string;
  secretId: string;
  keyId: string;
}

/** A closed result: verification never throws for a bad credential. */
export type VerificationResult =
  { status: "VALID"; credential: VerifiedCredential } | { status: "INVALID"; reason: InvalidReason };

export interface VerifierDependencies {
  format: CredentialFormat;
  hasher: SecretHasher;
  /** A lookup by Key ID; may answer synchronously (a cache hit). */
  findByKeyId: (keyId: string) => StoredCredential | null | Promise<StoredCredential | null>;
  /**
   * What a cache already knows of a Key ID it was given by findByKeyId, without I/O; undefined
   * when it does not know. Such a Key ID passed the format check when it was stored.
   */
  cached?: (keyId: string) => StoredCredential | null | undefined;
  /**
   * Given the inner hash of a secret just verified against its stored digest: a cache keeps it, and
   * hands it back as the credential's innerHash (CredentialCache.keepInnerHash).
   */
  keepInnerHash?: (keyId: string, innerHash: Digest) => void;
  /** Told of every successful verification (last-used tracking). */
  onVerified?: (credential: VerifiedCredential, atMs: number) => void;
  now?: () => number;
}

/**
 * Checks a presented Key ID + secret: format and checksums first (no I/O), then one lookup by
 * Key ID, a constant-time comparison of keyed hashes, and the credential's state. The answer is
 * synchronous when the lookup is (a cached credential), so the hot path allocates no promise.
 *
 * A Key ID the cache already knows skips the checksums: they exist to keep typos and guesses away
 * from the database, which a cached answer does not reach, and the keyed hash decides the secret.
 * A refusal from the cache still names a malformed secret MALFORMED, as the checksums would have.
 * A secret verified against its stored digest leaves its HMAC's inner hash with the cache
 * (keepInnerHash); checking it against that takes one SHA-256 of the HMAC's two: ≈ 5 % more
 * throughput on the cached route in A/B runs on the bench VM (bench/notes.md, 2026-12-04, sixth
 * session).
 */
export class Verifier {
  private readonly now: () => number;

  constructor(private readonly deps: VerifierDependencies) {
    this.now = deps.now ?? Date.now;
  }

  verify(keyId: unknown, secret: unknown): VerificationResult | Promise<VerificationResult> {
    if (typeof keyId !== "string" || typeof secret !== "string") return INVALID.MALFORMED;
    const cached = this.deps.cached?.(keyId);
    if (cached !== undefined) {
      const result = this.check(keyId, secret, cached);
      return result.status === "INVALID" && !this.deps.format.isSecret(secret) ? INVALID.MALFORMED : result;
    }
    if (!this.deps.format.parse(keyId, secret)) return INVALID.MALFORMED;
    const stored = this.deps.findByKeyId(keyId);
    return stored instanceof Promise
      ? stored.then((found) => this.check(keyId, secret, found))
      : this.check(keyId, secret, stored);
  }

  private check(keyId: string, secret: string, stored: StoredCredential | null): VerificationResult {
    if (!stored) return INVALID.UNKNOWN_KEY_ID;
    const { hasher } = this.deps;
    const inner = hasher.innerHash(secret);
    const kept = stored.innerHash;
    if (kept !== undefined ? !sameDigest(inner, kept) : !hasher.completes(inner, stored.secretHash)) {
      return INVALID.WRONG_SECRET;
    }
    const now = this.now();
    if (stored.revoked) return INVALID.REVOKED;
    if (stored.expiresAtMs !== null && stored.expiresAtMs <= now) return INVALID.EXPIRED;
    if (kept === undefined) this.deps.keepInnerHash?.(keyId, inner);
    const credential = { projectId: stored.projectId, secretId: stored.secretId, keyId };
    this.deps.onVerified?.(credential, now);
    return { status: "VALID", credential };
  }
}

// Refusals carry nothing request-specific, so each is one shared, frozen object.
const INVALID = Object.freeze(
  Object.fromEntries(
    (["MALFORMED", "UNKNOWN_KEY_ID", "WRONG_SECRET", "REVOKED", "EXPIRED"] as const).map((reason) => [
      reason,
      Object.freeze({ status: "INVALID", reason }),
    ]),
  ),
) as Readonly<Record<InvalidReason, VerificationResult>>;
