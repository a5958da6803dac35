import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it, jest } from "@jest/globals";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { RateLimits } from "./rate-limits";

const limits = { mutationsPerMinute: 10, failedVerificationsPerIp: 5, failedVerificationsPerKeyId: 3 };

/** Lets the turn's failures reach the limiter and its answer come back. */
async function settle(): Promise<void> {
  await nextTurn();
  await nextTurn();
}

describe("RateLimits: failed verifications", () => {
  it("blocks an address once it passes its limit, and not before", async () => {
    const rateLimits = new RateLimits(limits);
    for (let i = 0; i < 5; i++) rateLimits.countFailedVerification("203.0.113.7", undefined);
    await settle();
    expect(rateLimits.verificationBlockedFor("203.0.113.7", undefined)).toBe(0);

    rateLimits.countFailedVerification("203.0.113.7", undefined);
    await settle();
    expect(rateLimits.verificationBlockedFor("203.0.113.7", undefined)).toBeGreaterThan(0);
    expect(rateLimits.verificationBlockedFor("198.51.100.1", undefined)).toBe(0);
  });

  it("blocks a Key ID past its own limit, whichever addresses the failures came from", async () => {
    const rateLimits = new RateLimits(limits);
    for (let i = 0; i < 4; i++) rateLimits.countFailedVerification(`198.51.100.${i}`, "ktid_target");
    await settle();
    expect(rateLimits.verificationBlockedFor("192.0.2.1", "ktid_target")).toBeGreaterThan(0);
    expect(rateLimits.verificationBlockedFor("192.0.2.1", "ktid_other")).toBe(0);
  });

  it("hands the failures of one turn to the limiter as one count per key", async () => {
    const consume = jest.spyOn(RateLimiterMemory.prototype, "consume");
    try {
      const rateLimits = new RateLimits({ ...limits, failedVerificationsPerIp: 1000 });
      for (let i = 0; i < 40; i++) rateLimits.countFailedVerification("203.0.113.7", i % 2 ? "ktid_a" : "ktid_b");
      expect(consume).not.toHaveBeenCalled();
      await settle();
      expect(consume.mock.calls.map(([key, points]) => [key, points])).toEqual([
        ["ip:203.0.113.7", 40],
        ["key:ktid_b", 20],
        ["key:ktid_a", 20],
      ]);
      expect(rateLimits.verificationBlockedFor("203.0.113.7", "ktid_a")).toBeGreaterThan(0);
    } finally {
      consume.mockRestore();
    }
  });
});
