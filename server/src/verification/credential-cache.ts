import { LRUCache } from "lru-cache";
import type { StoredCredential } from "./credential-lookup";
import { detached } from "../detached";
import { pack, secretIdOf, unpack, withInnerHash, type PackedCredential } from "./packed-credential";
import type { Digest } from "./secret-hasher";

export interface CredentialCacheOptions {
  maxEntries: number;
  /** How long a lookup is trusted; the bound on staleness when an invalidation message is lost. */
  ttlMs: number;
  /** How long old entries may still answer while the database cannot be reached. */
  outageMs: number;
  /** Whether answering from an old entry is safe now: no invalidation can have been missed. */
  mayServeStale: () => boolean | Promise<boolean>;
  onLookup?: (result: "hit" | "miss" | "stale") => void;
  now?: () => number;
}

/**
 * A bounded LRU of credential lookups by Key ID, positive and negative, in front of the database.
 * Rotations and revocations drop their Key IDs (here at once, elsewhere via Redis); the TTL bounds
 * how long a lost invalidation can matter. While the database is unreachable, entries up to
 * `outageMs` old keep answering — only if no invalidation can have been missed meanwhile.
 *
 * A fresh entry is answered synchronously: the verification hot path allocates no promise.
 */
export class CredentialCache {
  // Entries live for outageMs (the longest they can be of use); fresher than ttlMs is a hit.
  private readonly entries: LRUCache<string, PackedCredential>;
  private readonly loading = new Map<string, Promise<StoredCredential | null>>();
  // Reused for every get: the entry's age comes back in it, without a second lookup.
  private readonly status: LRUCache.Status<string, PackedCredential> = {};
  // Bumped by every invalidation: a lookup that started before one must not fill the cache.
  private epoch = 0;

  constructor(
    private readonly lookup: (keyId: string) => Promise<StoredCredential | null>,
    private readonly options: CredentialCacheOptions,
  ) {
    const { now } = options;
    this.entries = new LRUCache({
      max: options.maxEntries,
      ttl: this.entryLifetimeMs,
      // An injected clock (tests) is read on every call, not cached for a millisecond.
      ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
    });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The longest an entry is kept: after that, no entry read before a change can answer. */
  get entryLifetimeMs(): number {
    return Math.max(this.options.outageMs, this.options.ttlMs);
  }

  /** What a fresh entry says (null: no such Key ID), without I/O; undefined when none is fresh. */
  cached(keyId: string): StoredCredential | null | undefined {
    const status = this.status;
    const packed = this.entries.get(keyId, { status });
    if (packed === undefined || (status.now ?? 0) - (status.start ?? 0) >= this.options.ttlMs) return undefined;
    this.options.onLookup?.("hit");
    return unpack(packed);
  }

  /**
   * Keeps a verified secret's inner hash (SecretHasher.innerHash) in the Key ID's entry, in place
   * of its digest: verifying the same secret again then takes one SHA-256 instead of two. Only the
   * digest changes, only in an active entry, and the entry keeps its age, so it still goes stale
   * when it would have. A Key ID's secret never changes, so the hash is right for whatever entry
   * the Key ID has now, even one loaded since the secret was verified; without one, nothing is kept.
   */
  keepInnerHash(keyId: string, innerHash: Digest): void {
    // peek: neither the entry's recency nor its age changes, and an expired entry is not seen.
    const packed = this.entries.peek(keyId);
    if (packed === undefined) return;
    const kept = withInnerHash(packed, innerHash);
    if (kept !== packed) this.entries.set(keyId, kept, { noUpdateTTL: true });
  }

  find(keyId: string): StoredCredential | null | Promise<StoredCredential | null> {
    const cached = this.cached(keyId);
    return cached !== undefined ? cached : this.refresh(keyId);
  }

  /** Forgets these Key IDs at once (they were rotated, revoked or created). */
  invalidate(keyIds: readonly string[]): void {
    this.epoch++;
    for (const keyId of keyIds) {
      this.entries.delete(keyId);
      // A lookup already running may have read the row before the change committed: later
      // requests must not join it.
      this.loading.delete(keyId);
    }
  }

  /**
   * Forgets every Key ID of this secret, found by the secret ID each entry holds: for a change
   * whose Key IDs cannot be read back (its COMMIT went unanswered, and so may the database). A scan
   * of the whole cache, for a rare event. Lookups already running are all forgotten, as their Key
   * IDs cannot be told apart.
   */
  invalidateSecret(secretId: string): void {
    this.epoch++;
    this.loading.clear();
    const keyIds: string[] = [];
    this.entries.forEach((packed, keyId) => {
      if (secretIdOf(packed) === secretId) keyIds.push(keyId);
    });
    for (const keyId of keyIds) this.entries.delete(keyId);
  }

  /** Forgets everything (after missing invalidation messages, e.g. a Redis reconnect). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
    this.loading.clear();
  }

  private async refresh(keyId: string): Promise<StoredCredential | null> {
    try {
      const credential = await this.load(keyId);
      this.options.onLookup?.("miss");
      return credential;
    } catch (error) {
      // Read after the failure, and again after the question (it may wait on Redis): an entry
      // invalidated meanwhile is gone, and get() returns none older than outageMs.
      if (this.entries.has(keyId) && (await this.options.mayServeStale())) {
        const old = this.entries.get(keyId);
        if (old !== undefined) {
          this.options.onLookup?.("stale");
          return unpack(old);
        }
      }
      throw error;
    }
  }

  /** One database lookup per Key ID at a time, however many requests ask for it. */
  private load(keyId: string): Promise<StoredCredential | null> {
    const pending = this.loading.get(keyId);
    if (pending) return pending;
    const epoch = this.epoch;
    const loading = this.lookup(keyId)
      .then((credential) => {
        if (this.epoch === epoch) this.entries.set(detached(keyId), pack(credential));
        return credential;
      })
      .finally(() => {
        if (this.loading.get(keyId) === loading) this.loading.delete(keyId);
      });
    this.loading.set(keyId, loading);
    return loading;
  }
}
