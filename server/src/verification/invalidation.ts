import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { connectRedis } from "../redis";
import { withTimeout } from "../timeout";
import {
  COUNT_AND_PUBLISH,
  compare,
  countOf,
  hear,
  readChangeCount,
  startChangeCount,
  type ChangeCount,
} from "./change-count";
import type { CredentialCache } from "./credential-cache";
import { UnannouncedChanges, type Change } from "./unannounced-changes";

const REDIS_TIMEOUT_MS = 1_000;
const RETRY_MS = 1_000;
// Counts kept while the starting count is read; one dropped at worst leaves this instance behind.
const MAX_EARLY = 1_000;

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
   * Whether this instance has heard every change counted so far, asked of Redis now: only then
   * may old cache entries answer while the database is down. False whenever that cannot be shown.
   */
  heardEverything(): Promise<boolean>;
  close(): Promise<void>;
}

export interface InvalidationOptions {
  /** A connection to publish and read the count on (the app shares its command connection). */
  publisher?: Redis;
  /** What the channel and the count's key start with: tests sharing a Redis each use their own. */
  prefix?: string;
}

export function createInvalidation(
  cache: CredentialCache,
  redisUrl: string | undefined,
  logger: Logger,
  { publisher, prefix = "keyturn" }: InvalidationOptions = {},
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
  const channel = `${prefix}:credentials-changed`;
  const countKey = `${prefix}:credentials-changes`;
  const instance = randomUUID();
  const outbound = publisher ?? connectRedis(redisUrl, logger, "publisher");
  const subscriber = connectRedis(redisUrl, logger, "subscriber");
  // How far this instance has heard: from the count when its subscription began, on through every
  // message since. Undefined while it is not subscribed, or has not read that starting count.
  let heard: ChangeCount | undefined;
  // Counts heard before the starting count arrived: one counted after Redis read it, whose
  // message came before its answer, is taken in once it has.
  let early: ChangeCount[] = [];
  // Bumped by every subscription and every lost connection: a starting count read for an earlier
  // subscription is not this one's.
  let subscription = 0;
  const unannounced = new UnannouncedChanges({
    announce: publish,
    canAnnounce: () => outbound.status === "ready",
    lifetimeMs: cache.entryLifetimeMs,
    logger,
  });
  let asking: Promise<boolean> | undefined;

  subscriber.on("ready", () => {
    // Subscribes on every (re)connection: without an offline queue, a SUBSCRIBE sent before the
    // connection is ready fails at once, and ioredis's autoResubscribe only repeats subscriptions
    // that once succeeded.
    subscriber.subscribe(channel).then(
      () => {
        // Messages sent while this instance was away are gone: it starts from an empty cache.
        cache.clear();
        startCounting(++subscription);
      },
      (error: unknown) => {
        // If the connection dropped again, the next "ready" retries and the error listener has
        // logged it; a refusal on a live connection (an ACL, say) is this instance's to report.
        if (subscriber.status === "ready") {
          logger.error(
            { err: error },
            "Could not subscribe to credential changes; other instances' changes go unheard",
          );
        }
      },
    );
  });
  subscriber.on("close", () => {
    subscription++;
    heard = undefined;
    early = [];
  });
  subscriber.on("message", (_channel: string, message: string) => {
    try {
      const parsed = JSON.parse(message) as unknown;
      // { epoch, count, from, keyIds } or { epoch, count, from, secretIds }. Instances of earlier
      // versions send no count, or a bare array of Key IDs; the oldest ignore secretIds, for them
      // the cache TTL stays the bound.
      const fields = (Array.isArray(parsed) ? { keyIds: parsed } : parsed) as {
        epoch?: unknown;
        count?: unknown;
        from?: unknown;
        keyIds?: unknown;
        secretIds?: unknown;
      };
      const count = countOf(fields);
      if (count && heard) take(count);
      else if (count && early.push(count) > MAX_EARLY) early.shift();
      // This instance forgot its own changes before publishing them; hearing them again later
      // would only throw away entries it has cached since.
      if (fields.from === instance) return;
      const { keyIds, secretIds } = fields;
      if (Array.isArray(keyIds)) cache.invalidate(keyIds.filter((k): k is string => typeof k === "string"));
      if (Array.isArray(secretIds)) {
        for (const secretId of secretIds) if (typeof secretId === "string") cache.invalidateSecret(secretId);
      }
    } catch {
      logger.warn("Ignored a malformed invalidation message");
    }
  });

  /**
   * Reads the count this subscription starts from, as soon as the command connection is ready (at
   * start-up it can be ready after the subscription), and again every RETRY_MS until Redis answers.
   * The cache is emptied when the count arrives: an entry loaded meanwhile may predate a change
   * counted in it whose message this subscription did not hear.
   */
  function startCounting(current: number): void {
    if (outbound.status !== "ready") {
      outbound.once("ready", () => {
        if (current === subscription) startCounting(current);
      });
      return;
    }
    void startChangeCount(outbound, countKey, randomUUID(), REDIS_TIMEOUT_MS).then((now) => {
      if (current !== subscription) return;
      if (now === undefined) {
        setTimeout(() => startCounting(current), RETRY_MS).unref();
        return;
      }
      cache.clear();
      heard = now;
      for (const count of early.splice(0)) take(count);
    });
  }

  /** Moves on to a message's count; changes it skipped were missed, and so may be what they ended. */
  function take(count: ChangeCount): void {
    if (!heard) return;
    const next = hear(heard, count);
    if (next.missed) cache.clear();
    heard = next.heard;
  }

  async function publish(change: Change): Promise<void> {
    const message = JSON.stringify({ from: instance, ...change });
    await withTimeout(
      outbound.eval(COUNT_AND_PUBLISH, 1, countKey, channel, message.slice(1), randomUUID()),
      REDIS_TIMEOUT_MS,
    );
  }

  async function announce(change: Change): Promise<void> {
    try {
      await publish(change);
    } catch (error) {
      logger.warn(
        { err: error, ...change },
        "Could not announce changed credentials; retrying, and other instances catch up within the cache TTL",
      );
      unannounced.add(change);
    }
  }

  async function ask(): Promise<boolean> {
    const now =
      heard && subscriber.status === "ready" ? await readChangeCount(outbound, countKey, REDIS_TIMEOUT_MS) : undefined;
    // Compared with what was heard by the time Redis answered: the subscription may have closed.
    if (now === undefined || heard === undefined) return false;
    const verdict = compare(heard, now);
    if (verdict === "started over") {
      // Flushed or evicted: what was missed meanwhile cannot be told, so nothing cached is kept,
      // and counting starts again from here.
      cache.clear();
      heard = now;
    }
    return verdict === "heard everything";
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
    close() {
      unannounced.stop();
      subscriber.disconnect();
      if (!publisher) outbound.disconnect();
      return Promise.resolve();
    },
  };
}
