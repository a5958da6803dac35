import { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * A Redis connection that never takes the process down: commands fail fast while it is
 * disconnected (callers fall back), errors are logged at most once per outage, and it reconnects
 * by itself.
 */
export function connectRedis(url: string, logger: Logger, role: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let reported = false;
  redis.on("error", (error: Error) => {
    if (reported) return;
    reported = true;
    logger.warn({ err: error, role }, "Redis is unreachable; carrying on without it until it returns");
  });
  redis.on("ready", () => {
    if (reported) logger.info({ role }, "Redis is reachable again");
    reported = false;
  });
  return redis;
}
