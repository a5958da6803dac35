import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { Config } from "./config";
import { NextTurnBatch } from "./next-turn-batch";

const WINDOW_SECONDS = 60;
const MAX_LOCAL_BLOCKS = 100_000;
// The limiters' and the local blocks' keys: which kind of caller, then the caller.
const IP = "ip:";
const KEY_ID = "key:";

/** The caller is over a limit: try again after `retryAfterSeconds`. */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";

  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests; retry after ${retryAfterSeconds} s`);
  }
}

/**
 * Per-minute limits: changes per admin, failed verifications per client IP, and wrong secrets
 * per stored Key ID.
 * Counters live in Redis when it is configured (shared by every instance) and in memory
 * otherwise, or while Redis is down. Failed verifications are counted after answering, and a
 * caller over the limit is remembered locally, so the verify path never waits on Redis.
 */
export class RateLimits {
  private readonly mutations: RateLimiterAbstract;
  private readonly failuresByIp: RateLimiterAbstract;
  private readonly failuresByKeyId: RateLimiterAbstract;
  // key → time (ms) until which verification requests are refused without being checked.
  private readonly blocked = new Map<string, number>();
  // Failures of this turn of the event loop, by client IP and by Key ID: a flood from one address
  // costs one consume() per turn, not one promise and one store update per request. Keyed by the
  // strings as given and prefixed only when handed over: the Key ID's hash is already computed (by
  // the cache's lookup), where a prefixed copy would be built, flattened and hashed per refusal.
  private readonly failedIps: NextTurnBatch<string, Count>;
  private readonly failedKeyIds: NextTurnBatch<string, Count>;

  constructor(limits: Config["rateLimits"], redis?: Redis) {
    const limiter = (keyPrefix: string, points: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS });
      return redis
        ? new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `keyturn:${keyPrefix}`,
            points,
            duration: WINDOW_SECONDS,
            insuranceLimiter: memory,
          })
        : memory;
    };
    this.mutations = limiter("mutations", limits.mutationsPerMinute);
    this.failuresByIp = limiter("verify-ip", limits.failedVerificationsPerIp);
    this.failuresByKeyId = limiter("verify-key", limits.failedVerificationsPerKeyId);
    this.failedIps = this.failureCounts(this.failuresByIp, IP);
    this.failedKeyIds = this.failureCounts(this.failuresByKeyId, KEY_ID);
  }

  /** Counts one change by `subject`; throws RateLimitedError past the limit. */
  async countMutation(subject: string): Promise<void> {
    try {
      await this.mutations.consume(subject);
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) throw new RateLimitedError(secondsUntil(refusal));
      throw refusal;
    }
  }

  /** Gives back one change counted for `subject` (a call that was not theirs to make). */
  async uncountMutation(subject: string): Promise<void> {
    await this.mutations.reward(subject, 1);
  }

  /** Whether any IP or Key ID is refused now: almost never, and then nothing else need be asked. */
  get blocksVerifications(): boolean {
    return this.blocked.size > 0;
  }

  /** Seconds until this IP or Key ID may verify again, or 0. No I/O. */
  verificationBlockedFor(ip: string, keyId: string | undefined, now = Date.now()): number {
    const until = Math.max(this.blocked.get(IP + ip) ?? 0, keyId ? (this.blocked.get(KEY_ID + keyId) ?? 0) : 0);
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /**
   * Counts a failed verification, in the background (at the next turn of the event loop, together
   * with the others of this turn); a caller past a limit is then refused locally. `keyId` is given
   * only when a stored credential's secret was guessed wrong.
   */
  countFailedVerification(ip: string, keyId: string | undefined): void {
    this.failedIps.entry(ip, newCount).points++;
    if (keyId) this.failedKeyIds.entry(keyId, newCount).points++;
  }

  /** A turn's counts, handed to `limiter` under `prefix` + the key they were counted by. */
  private failureCounts(limiter: RateLimiterAbstract, prefix: string): NextTurnBatch<string, Count> {
    return new NextTurnBatch((counts) => {
      for (const [key, { points }] of counts) this.consumeInBackground(limiter, prefix + key, points);
    });
  }

  private consumeInBackground(limiter: RateLimiterAbstract, key: string, points: number): void {
    limiter.consume(key, points).catch((refusal: unknown) => {
      if (!(refusal instanceof RateLimiterRes)) return;
      if (this.blocked.size >= MAX_LOCAL_BLOCKS) this.forgetExpiredBlocks();
      this.blocked.set(key, Date.now() + refusal.msBeforeNext);
    });
  }

  private forgetExpiredBlocks(): void {
    const now = Date.now();
    for (const [key, until] of this.blocked) if (until <= now) this.blocked.delete(key);
    // Still full of live blocks: drop them all rather than grow without bound. The limiters keep
    // their counts, so the next failure from each caller still over its limit blocks it again.
    if (this.blocked.size >= MAX_LOCAL_BLOCKS) this.blocked.clear();
  }
}

interface Count {
  points: number;
}

function newCount(): Count {
  return { points: 0 };
}

function secondsUntil(refusal: RateLimiterRes): number {
  return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
}
