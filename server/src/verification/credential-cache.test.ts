import { describe, expect, it } from "@jest/globals";
import { CredentialCache, type CredentialCacheOptions } from "./credential-cache";
import type { StoredCredential } from "./credential-lookup";

const stored = (secretId: string): StoredCredential => ({
  secretId,
  projectId: "acme",
  secretHash: "\x07".repeat(32),
  innerHash: undefined,
  expiresAtMs: null,
  revoked: false,
});

/** A cache over a scripted lookup, with a clock the test moves. */
function setup(options: Partial<CredentialCacheOptions> = {}) {
  let now = 1_000_000;
  const lookups: string[] = [];
  const results: string[] = [];
  let answer: (keyId: string) => Promise<StoredCredential | null> = (keyId) =>
    Promise.resolve(keyId.startsWith("known") ? stored(`secret-of-${keyId}`) : null);
  const cache = new CredentialCache(
    (keyId) => {
      lookups.push(keyId);
      return answer(keyId);
    },
    {
      maxEntries: 100,
      ttlMs: 10_000,
      outageMs: 300_000,
      mayServeStale: () => true,
      onLookup: (result) => results.push(result),
      now: () => now,
      ...options,
    },
  );
  return {
    cache,
    lookups,
    results,
    advance: (ms: number) => (now += ms),
    answerWith: (next: typeof answer) => (answer = next),
  };
}

describe("CredentialCache", () => {
  it("answers a fresh entry synchronously, without a lookup", async () => {
    const { cache, lookups, results } = setup();
    expect(await cache.find("known-1")).toEqual(stored("secret-of-known-1"));
    const second = cache.find("known-1");
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toEqual(stored("secret-of-known-1"));
    expect(lookups).toEqual(["known-1"]);
    expect(results).toEqual(["miss", "hit"]);
  });

  it("caches unknown Key IDs too", async () => {
    const { cache, lookups } = setup();
    expect(await cache.find("unknown-1")).toBeNull();
    expect(cache.find("unknown-1")).toBeNull();
    expect(lookups).toEqual(["unknown-1"]);
  });

  it("asks the database again once the TTL has passed", async () => {
    const { cache, lookups, advance } = setup();
    await cache.find("known-1");
    advance(9_999);
    expect(cache.find("known-1")).not.toBeInstanceOf(Promise);
    advance(1);
    await cache.find("known-1");
    expect(lookups).toEqual(["known-1", "known-1"]);
  });

  it("serves an old entry while the database is down, only if no invalidation can be missed", async () => {
    let safe = true;
    const { cache, advance, answerWith, results } = setup({ mayServeStale: () => safe });
    await cache.find("known-1");
    advance(60_000);
    answerWith(() => Promise.reject(new Error("database down")));
    expect(await cache.find("known-1")).toEqual(stored("secret-of-known-1"));
    expect(results).toContain("stale");
    safe = false;
    await expect(cache.find("known-1")).rejects.toThrow("database down");
  });

  it("tells what a fresh entry says without I/O, and nothing for an absent or old one", async () => {
    const { cache, lookups, advance, results } = setup();
    expect(cache.cached("known-1")).toBeUndefined();
    await cache.find("known-1");
    await cache.find("unknown-1");
    expect(cache.cached("known-1")).toEqual(stored("secret-of-known-1"));
    expect(cache.cached("unknown-1")).toBeNull();
    advance(10_000);
    expect(cache.cached("known-1")).toBeUndefined();
    expect(lookups).toEqual(["known-1", "unknown-1"]);
    expect(results).toEqual(["miss", "miss", "hit", "hit"]);
  });

  it("does not serve an entry invalidated while the database was failing", async () => {
    const { cache, advance, answerWith } = setup();
    await cache.find("known-1");
    advance(60_000);
    let fail!: (error: Error) => void;
    answerWith(() => new Promise((_resolve, reject) => (fail = reject)));
    const pending = cache.find("known-1");
    cache.invalidate(["known-1"]);
    fail(new Error("database down"));
    await expect(pending).rejects.toThrow("database down");
  });

  it("does not serve an entry invalidated while it asked whether it may", async () => {
    const asked: ((may: boolean) => void)[] = [];
    const { cache, advance, answerWith } = setup({
      mayServeStale: () => new Promise<boolean>((resolve) => asked.push(resolve)),
    });
    await cache.find("known-1");
    advance(60_000);
    answerWith(() => Promise.reject(new Error("database down")));
    const pending = cache.find("known-1");
    // The question is asked once the lookup has failed.
    while (asked.length === 0) await new Promise((resolve) => setImmediate(resolve));
    cache.invalidate(["known-1"]);
    for (const allow of asked) allow(true);
    await expect(pending).rejects.toThrow("database down");
  });

  it("waits for an asynchronous answer before serving an old entry, and serves none if it is no", async () => {
    let may = true;
    const { cache, advance, answerWith, results } = setup({ mayServeStale: () => Promise.resolve(may) });
    await cache.find("known-1");
    advance(60_000);
    answerWith(() => Promise.reject(new Error("database down")));
    expect(await cache.find("known-1")).toEqual(stored("secret-of-known-1"));
    may = false;
    await expect(cache.find("known-1")).rejects.toThrow("database down");
    expect(results).toEqual(["miss", "stale"]);
  });

  it("never serves an entry older than the outage window", async () => {
    const { cache, advance, answerWith } = setup();
    await cache.find("known-1");
    advance(300_001);
    answerWith(() => Promise.reject(new Error("database down")));
    await expect(cache.find("known-1")).rejects.toThrow("database down");
  });

  it("forgets invalidated Key IDs at once", async () => {
    const { cache, lookups } = setup();
    await cache.find("known-1");
    cache.invalidate(["known-1"]);
    await cache.find("known-1");
    expect(lookups).toEqual(["known-1", "known-1"]);
  });

  it("does not let a request join, or a result fill, a lookup that began before an invalidation", async () => {
    const { cache, lookups, answerWith } = setup();
    let finishFirst: (value: StoredCredential) => void = () => undefined;
    answerWith(() => new Promise((resolve) => (finishFirst = resolve)));
    const before = cache.find("known-1");
    cache.invalidate(["known-1"]);
    answerWith((keyId) => Promise.resolve({ ...stored(keyId), revoked: true }));
    const after = await cache.find("known-1");
    finishFirst(stored("pre-rotation"));
    await before;
    expect(after?.revoked).toBe(true);
    expect(cache.find("known-1")).toEqual({ ...stored("known-1"), revoked: true });
    expect(lookups).toEqual(["known-1", "known-1"]);
  });

  describe("invalidateSecret", () => {
    // setup()'s lookup gives Key ID "known-x" the secret "secret-of-known-x"; these two share one.
    const shared = (keyId: string) => Promise.resolve(stored(keyId.startsWith("known") ? "rotated" : "other"));

    it("forgets every Key ID of the secret, with or without an inner hash kept, and no other", async () => {
      const { cache, lookups, answerWith } = setup();
      answerWith(shared);
      for (const keyId of ["known-current", "known-previous", "unrelated-1"]) await cache.find(keyId);
      cache.keepInnerHash("known-previous", "\x09".repeat(32));
      await cache.find("absent-1");
      cache.invalidateSecret("rotated");
      for (const keyId of ["known-current", "known-previous"]) expect(cache.find(keyId)).toBeInstanceOf(Promise);
      expect(cache.find("unrelated-1")).toEqual(stored("other"));
      expect(lookups).toEqual([
        "known-current",
        "known-previous",
        "unrelated-1",
        "absent-1",
        "known-current",
        "known-previous",
      ]);
    });

    it("does not serve the secret's entries through a database outage", async () => {
      const { cache, advance, answerWith } = setup();
      answerWith(shared);
      await cache.find("known-current");
      cache.invalidateSecret("rotated");
      advance(60_000);
      answerWith(() => Promise.reject(new Error("database down")));
      await expect(cache.find("known-current")).rejects.toThrow("database down");
    });

    it("does not let a lookup that began before it fill the cache", async () => {
      const { cache, lookups, answerWith } = setup();
      let finishFirst: (value: StoredCredential) => void = () => undefined;
      answerWith(() => new Promise((resolve) => (finishFirst = resolve)));
      const before = cache.find("known-1");
      cache.invalidateSecret("secret-of-known-1");
      finishFirst(stored("secret-of-known-1"));
      await before;
      answerWith((keyId) => Promise.resolve({ ...stored(keyId), revoked: true }));
      expect((await cache.find("known-1"))?.revoked).toBe(true);
      expect(lookups).toEqual(["known-1", "known-1"]);
    });
  });

  it("joins concurrent lookups of one Key ID", async () => {
    const { cache, lookups } = setup();
    await Promise.all([cache.find("known-1"), cache.find("known-1"), cache.find("known-1")]);
    expect(lookups).toEqual(["known-1"]);
  });

  it("holds at most maxEntries, dropping the least recently used", async () => {
    const { cache, lookups } = setup({ maxEntries: 2 });
    await cache.find("known-1");
    await cache.find("known-2");
    expect(cache.find("known-1")).not.toBeInstanceOf(Promise);
    await cache.find("known-3");
    expect(cache.size).toBe(2);
    expect(cache.find("known-1")).not.toBeInstanceOf(Promise);
    await cache.find("known-2");
    expect(lookups).toEqual(["known-1", "known-2", "known-3", "known-2"]);
  });

  describe("keepInnerHash", () => {
    const inner = "\x09".repeat(32);

    it("puts a verified secret's inner hash in place of the digest, and nothing else changes", async () => {
      const { cache, lookups } = setup();
      await cache.find("known-1");
      cache.keepInnerHash("known-1", inner);
      expect(cache.cached("known-1")).toEqual({ ...stored("secret-of-known-1"), secretHash: "", innerHash: inner });
      expect(lookups).toEqual(["known-1"]);
    });

    it("does not make the entry younger: it goes stale when it would have", async () => {
      const { cache, lookups, advance } = setup();
      await cache.find("known-1");
      advance(9_000);
      cache.keepInnerHash("known-1", inner);
      expect(cache.cached("known-1")?.innerHash).toBe(inner);
      advance(1_000);
      expect(cache.cached("known-1")).toBeUndefined();
      expect(await cache.find("known-1")).toEqual(stored("secret-of-known-1"));
      expect(lookups).toEqual(["known-1", "known-1"]);
    });

    it("keeps nothing for a Key ID without an entry, one invalidated, or an unknown one", async () => {
      const { cache } = setup();
      cache.keepInnerHash("known-1", inner);
      expect(cache.size).toBe(0);
      await cache.find("known-2");
      cache.invalidate(["known-2"]);
      cache.keepInnerHash("known-2", inner);
      expect(cache.cached("known-2")).toBeUndefined();
      await cache.find("unknown-1");
      cache.keepInnerHash("unknown-1", inner);
      expect(cache.cached("unknown-1")).toBeNull();
    });

    it("keeps the state of the entry the Key ID has now, not of the one that was verified", async () => {
      // Verified while active; revoked, invalidated and looked up again before the hash is kept.
      const { cache, answerWith } = setup();
      await cache.find("known-1");
      cache.invalidate(["known-1"]);
      answerWith(() => Promise.resolve({ ...stored("secret-of-known-1"), revoked: true }));
      await cache.find("known-1");
      cache.keepInnerHash("known-1", inner);
      expect(cache.cached("known-1")).toEqual({ ...stored("secret-of-known-1"), revoked: true });
    });
  });
});
