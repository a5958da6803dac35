import { LRUCache } from "lru-cache";
import type { StoredCredential } from "./credential-lookup";

export interface CredentialCacheOptions {
  maxEntries: number;
  /** How long a lookup is trusted; the bound on staleness when an invalidation message is lost. */
  ttlMs: number;
  /** How long old entries may still answer while the database cannot be reached. */
  outageMs: number;
  /** Whether answering from an old entry is safe now: no invalidation can have been missed. */
  mayServeStale: () => boolean;
  onLookup?: (result: "hit" | "miss" | "stale") => void;
  now?: () => number;
}

interface Entry {
  at: number;
  /** null: the Key ID does not exist (cached too, so floods of unknown ids stop at the cache). */
  credential: StoredCredential | null;
}

/**
 * A bounded LRU of credential lookups by Key ID, positive and negative, in front of the database.
 * Rotations and revocations drop their Key IDs (here at once, elsewhere via Redis); the TTL bounds
 * how long a lost invalidation can matter. While the database is unreachable, entries up to
 * `outageMs` old keep answering — only if no invalidation can have been missed meanwhile.
 */
export class CredentialCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly loading = new Map<string, Promise<StoredCredential | null>>();
  // Bumped by every invalidation: a lookup that started before one must not fill the cache.
  private epoch = 0;
  private readonly now: () => number;

  constructor(
    private readonly lookup: (keyId: string) => Promise<StoredCredential | null>,
    private readonly options: CredentialCacheOptions,
  ) {
    this.entries = new LRUCache({ max: options.maxEntries });
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  async find(keyId: string): Promise<StoredCredential | null> {
    const entry = this.entries.get(keyId);
    const now = this.now();
    if (entry && now - entry.at < this.options.ttlMs) {
      this.options.onLookup?.("hit");
      return entry.credential;
    }
    try {
      const credential = await this.load(keyId);
      this.options.onLookup?.("miss");
      return credential;
    } catch (error) {
      if (entry && now - entry.at < this.options.outageMs && this.options.mayServeStale()) {
        this.options.onLookup?.("stale");
        return entry.credential;
      }
      throw error;
    }
  }

  /** Forgets these Key IDs at once (they were rotated, revoked or created). */
  invalidate(keyIds: readonly string[]): void {
    this.epoch++;
    for (const keyId of keyIds) this.entries.delete(keyId);
  }

  /** Forgets everything (after missing invalidation messages, e.g. a Redis reconnect). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  /** One database lookup per Key ID at a time, however many requests ask for it. */
  private load(keyId: string): Promise<StoredCredential | null> {
    const pending = this.loading.get(keyId);
    if (pending) return pending;
    const epoch = this.epoch;
    const loading = this.lookup(keyId)
      .then((credential) => {
        if (this.epoch === epoch) this.entries.set(keyId, { at: this.now(), credential });
        return credential;
      })
      .finally(() => {
        this.loading.delete(keyId);
      });
    this.loading.set(keyId, loading);
    return loading;
  }
}
