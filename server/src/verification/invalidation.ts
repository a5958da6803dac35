import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { connectRedis } from "../redis";
import { withTimeout } from "../timeout";
import type { CredentialCache } from "./credential-cache";

const CHANNEL = "keyturn:credentials-changed";
const PUBLISH_TIMEOUT_MS = 1_000;

/**
 * Tells every instance's verification cache that Key IDs changed. Without Redis there is one
 * instance and nothing to tell; with Redis, a pub/sub message reaches the others within
 * milliseconds. Pub/sub is at-most-once, so a resubscription empties the cache, and the cache's
 * TTL bounds whatever is still lost.
 */
export interface Invalidation {
  /** After a commit: forget these Key IDs here, now, and tell the other instances. */
  credentialsChanged(keyIds: readonly string[]): Promise<void>;
  /** After a change to a secret whose Key IDs are not known: forget all of the secret's, everywhere. */
  secretChanged(secretId: string): Promise<void>;
  /** Whether this instance can have missed a message (cached answers may then outlive a change). */
  readonly listening: boolean;
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
      listening: true,
      close: () => Promise.resolve(),
    };
  }
  const instance = randomUUID();
  const outbound = publisher ?? connectRedis(redisUrl, logger, "publisher");
  const subscriber = connectRedis(redisUrl, logger, "subscriber");
  let subscribed = false;
  subscriber.on("ready", () => {
    // Subscribes on every (re)connection: without an offline queue, a SUBSCRIBE sent before the
    // connection is ready fails at once, and ioredis's autoResubscribe only repeats subscriptions
    // that once succeeded.
    subscriber.subscribe(CHANNEL).then(
      () => {
        subscribed = true;
        // Messages sent while this instance was away are gone: start from an empty cache.
        cache.clear();
      },
      () => {
        // The connection dropped again; the next "ready" retries, the error listener has logged it.
      },
    );
  });
  subscriber.on("close", () => {
    subscribed = false;
  });
  subscriber.on("message", (_channel: string, message: string) => {
    try {
      const parsed = JSON.parse(message) as unknown;
      // { from, keyIds } or { from, secretIds }; a bare array is what instances of an earlier
      // version send. Those ignore secretIds: for them the cache TTL stays the bound.
      const { from, keyIds, secretIds } = (Array.isArray(parsed) ? { keyIds: parsed } : parsed) as {
        from?: unknown;
        keyIds?: unknown;
        secretIds?: unknown;
      };
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

  const announce = async (change: { keyIds: readonly string[] } | { secretIds: readonly string[] }) => {
    try {
      await withTimeout(outbound.publish(CHANNEL, JSON.stringify({ from: instance, ...change })), PUBLISH_TIMEOUT_MS);
    } catch (error) {
      logger.warn(
        { err: error, ...change },
        "Could not announce changed credentials; other instances catch up within the cache TTL",
      );
    }
  };
  return {
    async credentialsChanged(keyIds) {
      cache.invalidate(keyIds);
      await announce({ keyIds });
    },
    async secretChanged(secretId) {
      cache.invalidateSecret(secretId);
      await announce({ secretIds: [secretId] });
    },
    get listening() {
      return subscribed && subscriber.status === "ready";
    },
    async close() {
      subscriber.disconnect();
      if (!publisher) outbound.disconnect();
      await Promise.resolve();
    },
  };
}
