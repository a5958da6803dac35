import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import pino from "pino";
import { CredentialCache } from "./credential-cache";
import type { StoredCredential } from "./credential-lookup";
import { TcpProxy } from "../../test/reliability/support/tcp-proxy";
import { createInvalidation, type Invalidation } from "./invalidation";

// Needs a Redis server: .ci/run sets TEST_REDIS_URL; without it these tests are skipped.
const redisUrl = process.env.TEST_REDIS_URL;
const describeWithRedis = redisUrl ? describe : describe.skip;

// Other test files run servers on the same Redis: this file's channel and count are its own.
const PREFIX = `keyturn-test-${randomUUID()}`;
const CHANNEL = `${PREFIX}:credentials-changed`;
const COUNT = `${PREFIX}:credentials-changes`;

const stored: StoredCredential = {
  secretId: "secret-1",
  projectId: "acme",
  secretHash: "\x01".repeat(32),
  innerHash: undefined,
  expiresAtMs: null,
  revoked: false,
};

function instance({ ttlMs = 60_000, outageMs = 300_000 } = {}) {
  const lookups: string[] = [];
  const cache = new CredentialCache(
    (keyId) => {
      lookups.push(keyId);
      return Promise.resolve(stored);
    },
    { maxEntries: 10, ttlMs, outageMs, mayServeStale: () => false },
  );
  return { cache, lookups };
}

async function until(condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis("cache invalidation over Redis", () => {
  const opened: Invalidation[] = [];
  const clients: Redis[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((i) => i.close()));
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(async () => {
    const redis = new Redis(redisUrl ?? "");
    await redis.del(COUNT);
    redis.disconnect();
  });

  /** A plain client, as a test's own hand on Redis or as an instance's publisher. */
  async function client(): Promise<Redis> {
    const redis = new Redis(redisUrl ?? "", { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    clients.push(redis);
    await until(() => redis.status === "ready");
    return redis;
  }

  /** An instance's channel; its subscription goes to `url` (a proxy, say), its commands to `publisher`. */
  function channelOf(cache: CredentialCache, publisher?: Redis, url = redisUrl): Invalidation {
    const channel = createInvalidation(cache, url, pino({ level: "silent" }), {
      prefix: PREFIX,
      ...(publisher ? { publisher } : {}),
    });
    opened.push(channel);
    return channel;
  }

  /** Two instances, each with its cache and its channel, both subscribed and counting. */
  async function twoInstances({ publisherOfA }: { publisherOfA?: Redis } = {}) {
    const a = instance();
    const b = instance();
    const channel = { a: channelOf(a.cache, publisherOfA), b: channelOf(b.cache) };
    await until(async () => (await channel.a.heardEverything()) && (await channel.b.heardEverything()));
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

  it("has heard everything only while no counted change is missing; a gap in the counts empties the cache", async () => {
    const { b, channel } = await twoInstances();
    await b.cache.find("ktid_kept");

    // A change counted in Redis whose message B never got (as if its subscription had gone deaf).
    await (await client()).hincrby(COUNT, "count", 1);
    expect(await channel.b.heardEverything()).toBe(false);
    expect(b.cache.find("ktid_kept")).not.toBeInstanceOf(Promise);

    // The next message's count jumps past the missed one: B cannot know what that one changed.
    await channel.a.credentialsChanged(["ktid_other"]);
    await until(() => channel.b.heardEverything());
    expect(b.cache.find("ktid_kept")).toBeInstanceOf(Promise);
    await until(() => channel.a.heardEverything());
  });

  it("takes a count that started over (flushed, evicted) for one it cannot compare: not heard, cache emptied, counting again", async () => {
    const { b, channel } = await twoInstances();
    const redis = await client();
    await channel.a.credentialsChanged(["ktid_before"]);
    await until(() => channel.b.heardEverything());
    await b.cache.find("ktid_kept");

    // The hash is lost and counts again, as far as B heard, with changes B never got.
    const [, count] = await redis.hmget(COUNT, "epoch", "count");
    await redis.del(COUNT);
    await redis.hset(COUNT, "epoch", "another", "count", String(count));
    expect(await channel.b.heardEverything()).toBe(false);
    expect(b.cache.find("ktid_kept")).toBeInstanceOf(Promise);
    // From the new count on, B can tell again.
    expect(await channel.b.heardEverything()).toBe(true);
  });

  it("counts no change for a message of an earlier version (no count), and still applies it", async () => {
    const { b, channel } = await twoInstances();
    await b.cache.find("ktid_old");
    await (await client()).publish(CHANNEL, JSON.stringify({ from: "an-earlier-version", keyIds: ["ktid_old"] }));
    await until(() => b.cache.find("ktid_old") instanceof Promise);
    expect(await channel.b.heardEverything()).toBe(true);
  });

  it("has not heard everything while its subscription is down, though the count can still be read", async () => {
    // The subscription goes through a proxy; the count is read on a direct connection.
    const redis = new URL(redisUrl ?? "");
    const proxy = await TcpProxy.start({ host: redis.hostname, port: Number(redis.port || 6379) });
    proxies.push(proxy);
    const b = instance();
    const channel = channelOf(b.cache, await client(), `redis://127.0.0.1:${proxy.port}`);
    await until(() => channel.heardEverything());

    await proxy.refuse();
    proxy.cut();
    // Nothing was counted meanwhile, but changes published now would go unheard.
    await sleep(100);
    expect(await channel.heardEverything()).toBe(false);

    await proxy.restore();
    await until(() => channel.heardEverything());
  }, 15_000);

  it("reads its starting count again a second later if Redis refused it", async () => {
    const redis = await client();
    // A value of the wrong type under the count's key: Redis answers the starting read with an error.
    await redis.set(COUNT, "not a hash");
    const b = instance();
    const channel = channelOf(b.cache);
    await sleep(500);
    expect(await channel.heardEverything()).toBe(false);
    await redis.del(COUNT);
    await until(() => channel.heardEverything(), 3_000);
  }, 15_000);

  it("reads its starting count once its command connection is ready", async () => {
    const publisher = await client();
    publisher.disconnect();
    const b = instance();
    const channel = channelOf(b.cache, publisher);
    // Subscribed, but the count could not be read: nothing to compare with yet.
    await sleep(500);
    expect(await channel.heardEverything()).toBe(false);
    await publisher.connect();
    await until(() => channel.heardEverything(), 3_000);
  }, 15_000);

  it("announces a change again once Redis can be reached, if announcing it failed", async () => {
    const publisher = await client();
    const { b, channel } = await twoInstances({ publisherOfA: publisher });
    await b.cache.find("ktid_one");

    publisher.disconnect();
    await channel.a.credentialsChanged(["ktid_one"]);
    await sleep(1_500);
    expect(b.cache.find("ktid_one")).not.toBeInstanceOf(Promise);

    await publisher.connect();
    await until(() => b.cache.find("ktid_one") instanceof Promise, 3_000);
  }, 15_000);

  it("stops retrying a change once no cache can still hold what it changed", async () => {
    const publisher = await client();
    const listener = await client();
    const messages: string[] = [];
    await listener.subscribe(CHANNEL);
    listener.on("message", (_channel: string, message: string) => messages.push(message));
    const a = instance({ ttlMs: 100, outageMs: 200 });
    const channel = channelOf(a.cache, publisher);

    publisher.disconnect();
    await channel.credentialsChanged(["ktid_long_gone"]);
    await sleep(300);
    await publisher.connect();
    await channel.credentialsChanged(["ktid_fresh"]);
    await until(() => messages.some((m) => m.includes("ktid_fresh")));
    await sleep(1_500);
    expect(messages.filter((m) => m.includes("ktid_long_gone"))).toEqual([]);
  }, 15_000);
});
