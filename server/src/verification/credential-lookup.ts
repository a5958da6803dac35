import type { Database } from "../database/database";
import { NextTurnBatch } from "../next-turn-batch";
import { storedDigest, type Digest } from "./secret-hasher";

/** What verification needs to know about a Key ID, read from the credential's row alone. */
export interface StoredCredential {
  secretId: string;
  projectId: string;
  /** The HMAC digest (see storedDigest); empty if the stored value is malformed, or once innerHash is kept. */
  secretHash: Digest;
  /**
   * The inner hash of the secret (SecretHasher.innerHash), once the verification cache has seen
   * it verified: it is checked instead of secretHash, with one SHA-256 instead of two.
   */
  innerHash: Digest | undefined;
  /** When a credential in its grace period stops working (ms since the epoch). */
  expiresAtMs: number | null;
  revoked: boolean;
}

export type CredentialLookup = (keyId: string) => Promise<StoredCredential | null>;

// Statement shapes: a batch is padded up to the next size, so each connection prepares at most
// these few statements, and the largest bounds the statement's length.
const MAX_BATCH = 32;
const BATCH_SIZES = [1, 2, 4, 8, 16, MAX_BATCH];

// Raw prepared statements rather than the ORM (Database.read): they run on every uncached
// verification. One table: every change writes the end of each credential it ends on the
// credential's row (migration 1797000000000), and the row is stored by its Key ID.
const LOOKUPS = BATCH_SIZES.map((size) => ({
  size,
  sql: `
  SELECT key_id, secret_hash, secret_id, project_id, revoked_at, expires_at
  FROM credential
  WHERE key_id IN (${Array.from({ length: size }, () => "?").join(", ")})`,
}));

interface LookupRow {
  key_id: string;
  secret_hash: string;
  secret_id: string;
  project_id: string;
  revoked_at: Date | string | null;
  expires_at: Date | string | null;
}

interface Waiter {
  resolve: (credential: StoredCredential | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Looks Key IDs up by the batch: every lookup asked for while the server handles one round of
 * I/O goes to the database at the next turn of the event loop, as one `key_id IN (…)` statement
 * per 32 Key IDs. A lone request waits only for that turn; under load, one statement answers many
 * requests, and on MariaDB a batch of 8 costs little more than a single lookup (docs/performance.md).
 */
export function createCredentialLookup(db: Database): CredentialLookup {
  const batch = new NextTurnBatch<string, Waiter[]>((queued) => {
    const keyIds = [...queued.keys()];
    for (let start = 0; start < keyIds.length; start += MAX_BATCH) {
      const chunk = keyIds.slice(start, start + MAX_BATCH);
      const settle = (each: (waiter: Waiter, keyId: string) => void) => {
        for (const keyId of chunk) for (const waiter of queued.get(keyId) ?? []) each(waiter, keyId);
      };
      findCredentials(db, chunk).then(
        (found) => {
          settle((waiter, keyId) => {
            waiter.resolve(found.get(keyId) ?? null);
          });
        },
        (error: unknown) => {
          settle((waiter) => {
            waiter.reject(error);
          });
        },
      );
    }
  });
  return (keyId) =>
    new Promise((resolve, reject) => {
      batch.entry(keyId, () => []).push({ resolve, reject });
    });
}

/** The smallest statement shape that fits `count` Key IDs (batches are cut at MAX_BATCH). */
function lookupFor(count: number): { size: number; sql: string } {
  for (const lookup of LOOKUPS) if (lookup.size >= count) return lookup;
  throw new RangeError(`At most ${MAX_BATCH} Key IDs per lookup, not ${count}`);
}

/** One statement for up to MAX_BATCH Key IDs; the result holds the ones that exist. */
async function findCredentials(db: Database, keyIds: string[]): Promise<Map<string, StoredCredential>> {
  const { size, sql } = lookupFor(keyIds.length);
  const params = Array.from({ length: size }, (_, i) => keyIds[i] ?? keyIds[0] ?? "");
  const rows = await db.read<LookupRow>(sql, params);
  return new Map(rows.map((row) => [row.key_id, toStoredCredential(row)]));
}

/**
 * A credential is live until a change revokes it (a rotation past it, or its secret's revocation)
 * and, once a rotation has replaced it with a grace period, until expires_at.
 */
function toStoredCredential(row: LookupRow): StoredCredential {
  return {
    secretId: row.secret_id,
    projectId: row.project_id,
    secretHash: storedDigest(row.secret_hash),
    // Set, though never known here, so that every credential the verifier reads has one shape.
    innerHash: undefined,
    expiresAtMs: expiryMs(row.expires_at),
    revoked: row.revoked_at !== null,
  };
}

/**
 * mysql2 returns DATETIME as Date (UTC, see data-source.ts); SQLite returns TypeORM's UTC text. An
 * end that cannot be read (MariaDB's zero date comes back as an invalid Date) is taken as the
 * epoch, long past: the credential is refused, not left without an end, as NaN would leave it.
 */
export function expiryMs(value: Date | string | null): number | null {
  if (value === null) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(`${value.replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? 0 : ms;
}
