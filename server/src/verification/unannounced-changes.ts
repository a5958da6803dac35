import type { Logger } from "pino";

/** What an instance tells the others: Key IDs that changed, or secrets whose Key IDs all may have. */
export type Change = { keyIds: readonly string[] } | { secretIds: readonly string[] };

const RETRY_MS = 1_000;
const MAX_WAITING = 10_000;

export interface UnannouncedChangesOptions {
  announce: (change: Change) => Promise<void>;
  /** Whether announcing is worth trying now (the connection to Redis is ready). */
  canAnnounce: () => boolean;
  /** How long a change matters: after that, no cache holds an entry read before it. */
  lifetimeMs: number;
  logger: Logger;
}

/**
 * Changes whose announcement failed, announced again every RETRY_MS, oldest first, until each is
 * made or no cache can still hold what it changed. At most MAX_WAITING wait; past that the oldest
 * are dropped, and the cache TTL stays their bound.
 */
export class UnannouncedChanges {
  private readonly waiting: { change: Change; at: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private droppedAny = false;

  constructor(private readonly options: UnannouncedChangesOptions) {}

  add(change: Change): void {
    if (this.waiting.push({ change, at: Date.now() }) > MAX_WAITING) {
      this.waiting.shift();
      if (!this.droppedAny) {
        this.options.logger.warn(`Over ${MAX_WAITING} changes wait to be announced; dropping the oldest`);
      }
      this.droppedAny = true;
    }
    this.timer ??= setInterval(() => void this.retry(), RETRY_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.droppedAny = false;
  }

  private async retry(): Promise<void> {
    const since = Date.now() - this.options.lifetimeMs;
    while ((this.waiting[0]?.at ?? Infinity) < since) this.waiting.shift();
    if (this.running || !this.options.canAnnounce()) {
      if (this.waiting.length === 0) this.stop();
      return;
    }
    this.running = true;
    let announced = 0;
    try {
      for (let next = this.waiting[0]; next; next = this.waiting[0]) {
        await this.options.announce(next.change);
        // Removed by identity: at the cap, add() may have dropped the head meanwhile.
        const at = this.waiting.indexOf(next);
        if (at >= 0) this.waiting.splice(at, 1);
        announced++;
      }
    } catch {
      // Still unreachable: the next interval tries again; the first failure was logged.
    }
    if (announced > 0) {
      this.options.logger.info({ announced }, "Announced changed credentials that could not be announced before");
    }
    if (this.waiting.length === 0) this.stop();
    this.running = false;
  }
}
