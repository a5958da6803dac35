import type { Database } from "../database/database";

/** What verification needs to know about a Key ID, read in one indexed query. */
export interface StoredCredential {
  credentialId: string;
  secretId: string;
  projectId: string;
  secretHash: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

// A raw statement rather than the ORM: this runs on every uncached verification.
const LOOKUP_SQL = `
  SELECT c.id AS credential_id, c.secret_hash, c.expires_at, c.revoked_at,
         s.id AS secret_id, s.project_id, s.revoked_at AS secret_revoked_at
  FROM credential c JOIN api_secret s ON s.id = c.secret_id
  WHERE c.key_id = ?`;

interface LookupRow {
  credential_id: string;
  secret_hash: string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  secret_id: string;
  project_id: string;
  secret_revoked_at: Date | string | null;
}

export async function findCredentialByKeyId(db: Database, keyId: string): Promise<StoredCredential | null> {
  const rows = await db.execute((manager) => manager.query<LookupRow[]>(LOOKUP_SQL, [keyId]));
  const row = rows[0];
  if (!row) return null;
  return {
    credentialId: row.credential_id,
    secretId: row.secret_id,
    projectId: row.project_id,
    secretHash: row.secret_hash,
    expiresAt: toDate(row.expires_at),
    // Revoking a secret revokes its credentials too; the secret's own flag is a second guard.
    revokedAt: toDate(row.revoked_at) ?? toDate(row.secret_revoked_at),
  };
}

/** mysql2 returns DATETIME as Date (UTC, see data-source.ts); SQLite returns TypeORM's UTC text. */
function toDate(value: Date | string | null): Date | null {
  if (value === null || value instanceof Date) return value;
  return new Date(`${value.replace(" ", "T")}Z`);
}
