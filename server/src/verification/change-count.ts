import type { Redis } from "ioredis";
import { withTimeout } from "../timeout";

/**
 * Redis's count of announced credential changes, kept in one hash: `count`, and `epoch`, an ID
 * chosen when the hash is made. A hash that was flushed or evicted starts over under a new epoch,
 * so a count that started over is never read as one that stood still.
 */
export interface ChangeCount {
  /** null before the first change (no hash). */
  epoch: string | null;
  count: number;
}

export const NO_CHANGES: ChangeCount = Object.freeze({ epoch: null, count: 0 });

/**
 * Counts a change and publishes it, in one script that Redis runs atomically: messages go out in
 * the count's order, and every counted change is published. KEYS[1] is the hash; ARGV[1] the
 * channel, ARGV[2] the message's JSON object without its opening brace (the epoch and the count
 * are written in as its first members), ARGV[3] an epoch for a hash that does not exist yet.
 */
export const COUNT_AND_PUBLISH = `redis.call('HSETNX', KEYS[1], 'epoch', ARGV[3])
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
local epoch = redis.call('HGET', KEYS[1], 'epoch')
redis.call('PUBLISH', ARGV[1], '{"epoch":"' .. epoch .. '","count":' .. count .. ',' .. ARGV[2])
return count`;

// A starting count always has an epoch: the hash is made here if need be (ARGV[1]), so that a
// count that starts over later is told apart even from a start before any change.
const START_COUNTING = `redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1])
return redis.call('HMGET', KEYS[1], 'epoch', 'count')`;

/** The count as Redis has it now; undefined when Redis does not answer within `timeoutMs`. */
export function readChangeCount(redis: Redis, key: string, timeoutMs: number): Promise<ChangeCount | undefined> {
  return settle(redis.hmget(key, "epoch", "count"), timeoutMs);
}

/** The count to start from, the hash made under `epoch` if there is none. */
export function startChangeCount(
  redis: Redis,
  key: string,
  epoch: string,
  timeoutMs: number,
): Promise<ChangeCount | undefined> {
  return settle(redis.eval(START_COUNTING, 1, key, epoch) as Promise<(string | null)[]>, timeoutMs);
}

async function settle(fields: Promise<(string | null)[]>, timeoutMs: number): Promise<ChangeCount | undefined> {
  try {
    const [epoch, count] = await withTimeout(fields, timeoutMs);
    return epoch ? { epoch, count: Number(count ?? 0) } : NO_CHANGES;
  } catch {
    return undefined;
  }
}

/** The epoch and count a message carries, if it carries them (earlier versions' do not). */
export function countOf(message: { epoch?: unknown; count?: unknown }): ChangeCount | undefined {
  return typeof message.epoch === "string" && typeof message.count === "number"
    ? { epoch: message.epoch, count: message.count }
    : undefined;
}

/**
 * Where an instance that had heard up to `heard` stands after a message counted `message`, and
 * whether it missed changes on the way: counts it skipped, or a count that started over.
 * Messages arrive in the count's order, but one counted before the instance read its starting
 * count can arrive after it: such a message changes nothing.
 */
export function hear(heard: ChangeCount, message: ChangeCount): { heard: ChangeCount; missed: boolean } {
  if (message.epoch === heard.epoch) {
    return {
      heard: { epoch: heard.epoch, count: Math.max(heard.count, message.count) },
      missed: message.count > heard.count + 1,
    };
  }
  // The first change since a start before there was any count, or a count that started over.
  return { heard: message, missed: heard.epoch !== null || message.count > 1 };
}

/**
 * What the count in Redis says of an instance that has heard up to `heard`: that it heard
 * everything, that changes were counted it has not heard (yet, or ever), or that the count started
 * over (flushed or evicted: what it missed meanwhile cannot be told).
 */
export function compare(heard: ChangeCount, now: ChangeCount): "heard everything" | "behind" | "started over" {
  if (now.epoch === heard.epoch) return now.count <= heard.count ? "heard everything" : "behind";
  if (heard.epoch === null) return "behind";
  return "started over";
}
