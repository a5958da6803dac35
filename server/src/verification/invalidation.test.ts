import { afterEach, describe, expect, it } from "@jest/globals";
import pino from "pino";
import { CredentialCache } from "./credential-cache";
import type { StoredCredential } from "./credential-lookup";
import { createInvalidation, type Invalidation } from "./invalidation";

// Needs a Redis server: .ci/run sets TEST_REDIS_URL; without it these tests are skipped.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

const stored: StoredCredential = {
  secretId: "secret-1",
  projectId: "acme",
  secretHash: "\x01".repeat(32),
  innerHash: undefined,
  expiresAtMs: null,
  revoked: false,
};

function instance() {
  const lookups: string[] = [];
  const cache = new CredentialCache(
    (keyId) => {
      lookups.push(keyId);
      return Promise.resolve(stored);
    },
    { maxEntries: 10, ttlMs: 60_000, outageMs: 300_000, mayServeStale: () => false },
  );
  return { cache, lookups };
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeWithRedis("cache invalidation over Redis", () => {
  const opened: Invalidation[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((i) => i.close()));
  });

  /** Two instances, each with its cache and its channel, both subscribed. */
  async function twoInstances() {
    const a = instance();
    const b = instance();
    const channel = {
      a: createInvalidation(a.cache, redisUrl, pino({ level: "silent" })),
      b: createInvalidation(b.cache, redisUrl, pino({ level: "silent" })),
    };
    opened.push(channel.a, channel.b);
    await until(() => channel.a.listening && channel.b.listening);
    return { a, b, channel };
  }

  it("drops the Key IDs on the other instance, and not again on the one that published", async () => {
    const { a, b, channel } = await twoInstances();

    await a.cache.find("ktid_one");
    await b.cache.find("ktid_one");
    await channel.a.credentialsChanged(["ktid_one"]);
    // A forgot it at once and looks it up again; B forgets it when the message arrives.
    await a.cache.find("ktid_one");
    await until(() => b.cache.find("ktid_one") instanceof Promise);
    // Give A's own message time to come back: it must not throw away A's fresh entry.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.cache.find("ktid_one")).not.toBeInstanceOf(Promise);
    expect(a.lookups).toEqual(["ktid_one", "ktid_one"]);
  });

  it("drops every Key ID of a secret on the other instance when only the secret is known", async () => {
    const { b, channel } = await twoInstances();

    // Both Key IDs belong to stored.secretId.
    await b.cache.find("ktid_one");
    await b.cache.find("ktid_two");
    await channel.a.secretChanged(stored.secretId);
    await until(() => b.cache.find("ktid_one") instanceof Promise);
    expect(b.cache.find("ktid_two")).toBeInstanceOf(Promise);
  });
});
