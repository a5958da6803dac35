import type { Database } from "../database/database";
import { storedDigest } from "./secret-hasher";

/** What verification needs to know about a Key ID, read in one indexed query. */
export interface StoredCredential {
  secretId: string;
  projectId: string;
  /** The HMAC digest (see storedDigest); empty if the stored value is malformed. */
  secretHash: Buffer;
  /** When a credential in its grace period stops working (ms since the epoch). */
  expiresAtMs: number | null;
  revoked: boolean;
}

// A raw prepared statement rather than the ORM (Database.read): this runs on every uncached verification.
const LOOKUP_SQL = `
  SELECT c.secret_hash, c.expires_at, c.revoked_at,
         s.id AS secret_id, s.project_id, s.revoked_at AS secret_revoked_at
  FROM credential c JOIN api_secret s ON s.id = c.secret_id
  WHERE c.key_id = ?`;

interface LookupRow {
  secret_hash: string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  secret_id: string;
  project_id: string;
  secret_revoked_at: Date | string | null;
}

export async function findCredentialByKeyId(db: Database, keyId: string): Promise<StoredCredential | null> {
  const rows = await db.read<LookupRow>(LOOKUP_SQL, [keyId]);
  const row = rows[0];
  if (!row) return null;
  return {
    secretId: row.secret_id,
    projectId: row.project_id,
    secretHash: storedDigest(row.secret_hash),
    expiresAtMs: toMs(row.expires_at),
    // Revoking a secret revokes its credentials too; the secret's own flag is a second guard.
    revoked: row.revoked_at !== null || row.secret_revoked_at !== null,
  };
}

/** mysql2 returns DATETIME as Date (UTC, see data-source.ts); SQLite returns TypeORM's UTC text. */
function toMs(value: Date | string | null): number | null {
  if (value === null) return null;
  return value instanceof Date ? value.getTime() : Date.parse(`${value.replace(" ", "T")}Z`);
}
