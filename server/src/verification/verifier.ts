import type { CredentialFormat } from "@keyturn/shared";
import type { StoredCredential } from "./credential-lookup";
import type { SecretHasher } from "./secret-hasher";

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
  findByKeyId: (keyId: string) => Promise<StoredCredential | null>;
  /** Told of every successful verification (last-used tracking). */
  onVerified?: (credential: StoredCredential, at: Date) => void;
  now?: () => Date;
}

/**
 * Checks a presented Key ID + secret: format and checksums first (no I/O), then one lookup by
 * Key ID, a constant-time comparison of keyed hashes, and the credential's state.
 */
export class Verifier {
  private readonly now: () => Date;

  constructor(private readonly deps: VerifierDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  async verify(keyId: unknown, secret: unknown): Promise<VerificationResult> {
    const presented = this.deps.format.parse(keyId, secret);
    if (!presented) return invalid("MALFORMED");
    const stored = await this.deps.findByKeyId(presented.keyId);
    if (!stored) return invalid("UNKNOWN_KEY_ID");
    if (!this.deps.hasher.matches(presented.secret, stored.secretHash)) return invalid("WRONG_SECRET");
    const now = this.now();
    if (stored.revokedAt) return invalid("REVOKED");
    if (stored.expiresAt && stored.expiresAt <= now) return invalid("EXPIRED");
    this.deps.onVerified?.(stored, now);
    return {
      status: "VALID",
      credential: { projectId: stored.projectId, secretId: stored.secretId, keyId: presented.keyId },
    };
  }
}

function invalid(reason: InvalidReason): VerificationResult {
  return { status: "INVALID", reason };
}
