import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { connectRedis } from "../redis";
import { withTimeout } from "../timeout";
import type { CredentialCache } from "./credential-cache";

const CHANNEL = "keyturn:credentials-changed";
// How many changes have been announced, ever: each message carries the count its change reached.
const COUNTER = "keyturn:credentials-changes";
const REDIS_TIMEOUT_MS = 1_000;
const RETRY_MS = 1_000;
// Changes kept for a retry at most; past it the oldest are dropped (the cache TTL stays their bound).
const MAX_UNANNOUNCED = 10_000;

// Counts the change and publishes it in one script, which Redis runs atomically: messages go out
// in the counter's order, and every counted change is published. ARGV[2] is the message's JSON
// object without its opening brace, so the count is written into it as its first member.
const ANNOUNCE = `local count = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], '{"count":' .. count .. ',' .. ARGV[2])
return count`;

type Change = { keyIds: readonly string[] } | { secretIds: readonly string[] };

/**
 * Tells every instance's verification cache that Key IDs changed. Without Redis there is one
 * instance and nothing to tell; with Redis, a pub/sub message reaches the others within
 * milliseconds. Pub/sub is at-most-once: a resubscription empties the cache, an announcement that
 * fails is retried until no cache can still hold what it changed, and the cache's TTL bounds
 * whatever is still lost.
 */
export interface Invalidation {
  /** After a commit: forget these Key IDs here, now, and tell the other instances. */
  credentialsChanged(keyIds: readonly string[]): Promise<void>;
  /** After a change to a secret whose Key IDs are not known: forget all of the secret's, everywhere. */
  secretChanged(secretId: string): Promise<void>;
  /**
   * Whether this instance has heard every change announced so far, asked of Redis now: only then
   * may old cache entries answer while the database is down. False whenever that cannot be shown.
   */
  heardEverything(): Promise<boolean>;
  close(): Promise<void>;
}

export function createInvalidation(
  cache: CredentialCache,
  redisUrl: string | undefined,
  logger: Logger,
  publisher?: Redis,
): Invalidation {
  if (!redisUrl) {
    return {
      credentialsChanged: (keyIds) => {
        cache.invalidate(keyIds);
        return Promise.resolve();
      },
      secretChanged: (secretId) => {
        cache.invalidateSecret(secretId);
        return Promise.resolve();
      },
      heardEverything: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    };
  }
  const instance = randomUUID();
  const outbound = publisher ?? connectRedis(redisUrl, logger, "publisher");
  const subscriber = connectRedis(redisUrl, logger, "subscriber");
  // The count of the last change heard of since subscribing (or, until one is heard, the count
  // when this subscription began); undefined while not subscribed or not yet known.
  let heard: number | undefined;
  // Bumped by every subscription and every lost connection: a count read for an earlier
  // subscription is not this one's starting point.
  let subscription = 0;
  // Changes whose announcement failed, with when they were made, retried every RETRY_MS.
  const unannounced: { change: Change; at: number }[] = [];
  let retrying: NodeJS.Timeout | undefined;
  let retryRunning = false;
  let asking: Promise<boolean> | undefined;

  subscriber.on("ready", () => {
    // Subscribes on every (re)connection: without an offline queue, a SUBSCRIBE sent before the
    // connection is ready fails at once, and ioredis's autoResubscribe only repeats subscriptions
    // that once succeeded.
    subscriber.subscribe(CHANNEL).then(
      async () => {
        const current = ++subscription;
        // Messages sent while this instance was away are gone: start from an empty cache, and
        // from the count as it is now. A message heard meanwhile may be newer than it.
        cache.clear();
        const now = await readCount();
        if (now !== undefined && current === subscription) heard = Math.max(heard ?? now, now);
      },
      () => {
        // The connection dropped again; the next "ready" retries, the error listener has logged it.
      },
    );
  });
  subscriber.on("close", () => {
    subscription++;
    heard = undefined;
  });
  subscriber.on("message", (_channel: string, message: string) => {
    try {
      const parsed = JSON.parse(message) as unknown;
      // { count, from, keyIds } or { count, from, secretIds }. Instances of earlier versions send
      // no count, or a bare array of Key IDs; the oldest ignore secretIds, for them the cache TTL
      // stays the bound.
      const { count, from, keyIds, secretIds } = (Array.isArray(parsed) ? { keyIds: parsed } : parsed) as {
        count?: unknown;
        from?: unknown;
        keyIds?: unknown;
        secretIds?: unknown;
      };
      if (typeof count === "number") {
        // Redis delivers messages in the order of their counts: a jump means some never came.
        if (heard !== undefined && count > heard + 1) cache.clear();
        heard = count;
      }
      // This instance forgot its own changes before publishing them; hearing them again later
      // would only throw away entries it has cached since.
      if (from === instance) return;
      if (Array.isArray(keyIds)) cache.invalidate(keyIds.filter((k): k is string => typeof k === "string"));
      if (Array.isArray(secretIds)) {
        for (const secretId of secretIds) if (typeof secretId === "string") cache.invalidateSecret(secretId);
      }
    } catch {
      logger.warn("Ignored a malformed invalidation message");
    }
  });

  async function readCount(): Promise<number | undefined> {
    try {
      return Number((await withTimeout(outbound.get(COUNTER), REDIS_TIMEOUT_MS)) ?? 0);
    } catch {
      return undefined;
    }
  }

  async function publish(change: Change): Promise<void> {
    const message = JSON.stringify({ from: instance, ...change });
    await withTimeout(outbound.eval(ANNOUNCE, 1, COUNTER, CHANNEL, message.slice(1)), REDIS_TIMEOUT_MS);
  }

  async function announce(change: Change): Promise<void> {
    try {
      await publish(change);
    } catch (error) {
      logger.warn(
        { err: error, ...change },
        "Could not announce changed credentials; retrying, and other instances catch up within the cache TTL",
      );
      if (unannounced.push({ change, at: Date.now() }) > MAX_UNANNOUNCED) unannounced.shift();
      retrying ??= setInterval(() => void retryUnannounced(), RETRY_MS).unref();
    }
  }

  /** Announces what could not be, oldest first, while it can still matter. */
  async function retryUnannounced(): Promise<void> {
    if (retryRunning) return;
    retryRunning = true;
    // A cache entry from before a change is gone from every instance once it has lived its
    // longest: such a change needs no announcement any more.
    const since = Date.now() - cache.entryLifetimeMs;
    while ((unannounced[0]?.at ?? Infinity) < since) unannounced.shift();
    let announced = 0;
    try {
      for (let next = unannounced[0]; next; next = unannounced[0]) {
        await publish(next.change);
        unannounced.shift();
        announced++;
      }
    } catch {
      // Still unreachable: the next interval tries again; the first failure was logged.
    }
    if (announced > 0) logger.info({ announced }, "Announced changed credentials that could not be announced before");
    if (unannounced.length === 0) {
      clearInterval(retrying);
      retrying = undefined;
    }
    retryRunning = false;
  }

  async function ask(): Promise<boolean> {
    const now = heard !== undefined && subscriber.status === "ready" ? await readCount() : undefined;
    // Compared with what was heard by the time Redis answered (the subscription may have closed
    // meanwhile). A change counted but not heard of (not yet, or its message was lost), or a
    // count that cannot be read: this instance may hold an entry that a change has ended.
    return now !== undefined && heard !== undefined && now <= heard;
  }

  return {
    async credentialsChanged(keyIds) {
      cache.invalidate(keyIds);
      await announce({ keyIds });
    },
    async secretChanged(secretId) {
      cache.invalidateSecret(secretId);
      await announce({ secretIds: [secretId] });
    },
    heardEverything() {
      // Every caller waiting at once (a database outage under load) shares one question to Redis.
      asking ??= ask().finally(() => {
        asking = undefined;
      });
      return asking;
    },
    async close() {
      clearInterval(retrying);
      subscriber.disconnect();
      if (!publisher) outbound.disconnect();
      await Promise.resolve();
    },
  };
}
