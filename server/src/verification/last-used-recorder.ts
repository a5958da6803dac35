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
  at: Date;
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

  record(credentialId: string, secretId: string, at: Date): void {
    const pending = this.pending.get(credentialId);
    if (pending) {
      pending.at = at;
      return;
    }
    const lastWritten = this.written.get(credentialId);
    if (lastWritten !== undefined && at.getTime() - lastWritten < this.resolutionMs) return;
    this.pending.set(credentialId, { secretId, at });
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
        for (const [credentialId, { secretId, at }] of batch) {
          for (const [entity, id] of [
            [Credential, credentialId],
            [ApiSecret, secretId],
          ] as const) {
            await manager
              .createQueryBuilder()
              .update(entity)
              .set({ lastUsedAt: at })
              .where("id = :id AND (last_used_at IS NULL OR last_used_at < :at)", { id, at })
              .execute();
          }
        }
      });
      for (const [credentialId, { at }] of batch) this.written.set(credentialId, at.getTime());
      this.forgetOldWrites();
    } catch (error) {
      // Last-used is best effort: losing one flush only delays the displayed time.
      this.logger.warn({ err: error, credentials: batch.length }, "Could not record last-used times");
    }
  }

  /** Entries older than the resolution no longer suppress a write, so they can go: memory stays bounded by recent traffic. */
  private forgetOldWrites(): void {
    const cutoff = Date.now() - this.resolutionMs;
    for (const [credentialId, at] of this.written) if (at < cutoff) this.written.delete(credentialId);
  }
}
