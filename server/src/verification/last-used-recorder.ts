import type { Logger } from "pino";
import { ApiSecret } from "../api-secrets/api-secret.entity";
import { Credential } from "../api-secrets/credential.entity";
import type { Database } from "../database/database";
import { detached } from "../detached";

export interface LastUsedRecorderOptions {
  /** How often pending uses are written. */
  flushIntervalMs?: number;
  /** A credential's last-used time is written at most once per this interval. */
  resolutionMs?: number;
}

// Ids per UPDATE statement (well under SQLite's and MySQL's parameter limits).
const MAX_IDS_PER_STATEMENT = 500;

interface PendingUse {
  secretId: string;
  atMs: number;
}

/**
 * Keeps last-used times without a database write per verification: uses are held in memory and
 * written in one transaction per flush, each credential at most once per minute. A flush writes
 * times to the second, grouped by that second: one UPDATE per table per second of uses (per 500
 * ids), not two per credential. Under load a flush used to be thousands of statements, which cost
 * the uncached verification path ~30 % of its throughput on a shared MariaDB (docs/performance.md).
 */
export class LastUsedRecorder {
  private readonly pending = new Map<string, PendingUse>();
  private readonly written = new Map<string, number>();
  private readonly flushIntervalMs: number;
  private readonly resolutionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    options: LastUsedRecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 2_000;
    this.resolutionMs = options.resolutionMs ?? 60_000;
  }

  /** Keyed by Key ID (unique, and what verification has at hand), not the credential's row id. */
  record(keyId: string, secretId: string, atMs: number): void {
    const pending = this.pending.get(keyId);
    if (pending) {
      pending.atMs = atMs;
      return;
    }
    const lastWritten = this.written.get(keyId);
    if (lastWritten !== undefined && atMs - lastWritten < this.resolutionMs) return;
    // Held until written and a minute after: not the caller's string, which may pin the secret.
    this.pending.set(detached(keyId), { secretId, atMs });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending (on shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes pending uses; concurrent calls run one after another. Failures are logged, not thrown. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    try {
      await this.db.transaction(async (manager) => {
        for (const [secondMs, { keyIds, secretIds }] of groupBySecond(batch)) {
          const at = new Date(secondMs);
          // Secrets before their credentials, the order in which a change locks them (its secret's
          // row, then the rows of the credentials it ends), so the two cannot deadlock.
          for (const [entity, column, ids] of [
            [ApiSecret, "id", [...secretIds]],
            [Credential, "key_id", keyIds],
          ] as const) {
            for (let start = 0; start < ids.length; start += MAX_IDS_PER_STATEMENT) {
              // A secret used in two seconds is written twice; the condition keeps the later time.
              await manager
                .createQueryBuilder()
                .update(entity)
                .set({ lastUsedAt: at })
                .where(`${column} IN (:...ids) AND (last_used_at IS NULL OR last_used_at < :at)`, {
                  ids: ids.slice(start, start + MAX_IDS_PER_STATEMENT),
                  at,
                })
                .execute();
            }
          }
        }
      });
      for (const [keyId, { atMs }] of batch) this.written.set(keyId, atMs);
      this.forgetOldWrites();
    } catch (error) {
      // Last-used is best effort: losing one flush only delays the displayed time.
      this.logger.warn({ err: error, credentials: batch.length }, "Could not record last-used times");
    }
  }

  /** Entries older than the resolution no longer suppress a write, so they can go: memory stays bounded by recent traffic. */
  private forgetOldWrites(): void {
    const cutoff = Date.now() - this.resolutionMs;
    for (const [keyId, at] of this.written) if (at < cutoff) this.written.delete(keyId);
  }
}

/** Pending uses by the second they happened in (ms since the epoch, floored to the second). */
function groupBySecond(uses: Array<[string, PendingUse]>): Map<number, { keyIds: string[]; secretIds: Set<string> }> {
  const groups = new Map<number, { keyIds: string[]; secretIds: Set<string> }>();
  for (const [keyId, { secretId, atMs }] of uses) {
    const secondMs = Math.floor(atMs / 1000) * 1000;
    let group = groups.get(secondMs);
    if (!group) {
      group = { keyIds: [], secretIds: new Set() };
      groups.set(secondMs, group);
    }
    group.keyIds.push(keyId);
    group.secretIds.add(secretId);
  }
  return groups;
}
