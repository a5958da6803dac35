import type { Logger } from "pino";
import { ApiSecret } from "../api-secrets/api-secret.entity";
import { Credential } from "../api-secrets/credential.entity";
import type { Database } from "../database/database";

export interface LastUsedRecorderOptions {
  /** How often pending uses are written. */
  flushIntervalMs?: number;
  /** A credential's last-used time is written at most once per this interval. */
  resolutionMs?: number;
}

interface PendingUse {
  secretId: string;
  atMs: number;
}

/**
 * Keeps last-used times without a database write per verification: uses are held in memory and
 * written in one transaction per flush, at most one UPDATE per credential per minute.
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
    this.pending.set(keyId, { secretId, atMs });
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
        for (const [keyId, { secretId, atMs }] of batch) {
          const at = new Date(atMs);
          for (const [entity, column, value] of [
            [Credential, "key_id", keyId],
            [ApiSecret, "id", secretId],
          ] as const) {
            await manager
              .createQueryBuilder()
              .update(entity)
              .set({ lastUsedAt: at })
              .where(`${column} = :value AND (last_used_at IS NULL OR last_used_at < :at)`, { value, at })
              .execute();
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
