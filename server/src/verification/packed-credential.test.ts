import { randomBytes } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import type { StoredCredential } from "./credential-lookup";
import { NOT_FOUND, pack, secretIdOf, unpack, withInnerHash } from "./packed-credential";

const credential = (overrides: Partial<StoredCredential> = {}): StoredCredential => ({
  secretId: "0b6f3c2e-8a4d-4f7e-9a43-2d1c5e6f7a8b",
  projectId: "acme-analytics",
  secretHash: randomBytes(32).toString("latin1"),
  innerHash: undefined,
  expiresAtMs: null,
  revoked: false,
  ...overrides,
});

describe("packed credentials", () => {
  it.each([
    ["an active credential", credential()],
    ["a revoked one", credential({ revoked: true })],
    ["one in its grace period", credential({ expiresAtMs: Date.parse("2031-06-01T12:00:00.123Z") })],
    [
      "one whose digest bytes include 0x00 and 0xff",
      credential({ secretHash: Buffer.from([0, 255, ...randomBytes(30)]).toString("latin1") }),
    ],
    ["short and long IDs", credential({ secretId: "s", projectId: "p".repeat(128) })],
    ["an empty project ID", credential({ projectId: "" })],
    ["a project ID beyond latin1", credential({ projectId: "projekt-ž-東京" })],
  ])("round-trips %s", (_label, stored) => {
    expect(unpack(pack(stored))).toEqual(stored);
  });

  it("keeps a Key ID that does not exist as NOT_FOUND", () => {
    expect(pack(null)).toBe(NOT_FOUND);
    expect(unpack(NOT_FOUND)).toBeNull();
  });

  it("keeps a malformed stored digest as one that never matches", () => {
    const unpacked = unpack(pack(credential({ secretHash: "", revoked: true })));
    expect(unpacked?.secretHash).toHaveLength(0);
  });

  it.each([
    ["the largest its 13 digits hold", 9_999_999_999_999, 9_999_999_999_999],
    ["1 ms after the epoch", 1, 1],
    ["an unreadable date", NaN, 1],
    ["a fraction of a millisecond", 1_800_000_000_000.5, 1],
    ["one before the epoch", -1, 1],
    ["one past what 13 digits hold", 10_000_000_000_000, 1],
    ["the epoch itself, which the layout reads as none", 0, 1],
  ])("keeps an expiry of %s as %d ms (one it cannot hold as long past)", (_label, expiresAtMs, kept) => {
    expect(unpack(pack(credential({ expiresAtMs })))?.expiresAtMs).toBe(kept);
  });

  it("tells the secret an entry belongs to, with or without an inner hash kept, and none for NOT_FOUND", () => {
    const packed = pack(credential());
    expect(secretIdOf(packed)).toBe(credential().secretId);
    expect(secretIdOf(withInnerHash(packed, "\x09".repeat(32)))).toBe(credential().secretId);
    expect(secretIdOf(pack(credential({ secretId: "s", projectId: "p" })))).toBe("s");
    expect(secretIdOf(NOT_FOUND)).toBeNull();
  });

  it("refuses secret IDs its one-character length cannot hold", () => {
    expect(() => pack(credential({ secretId: "x".repeat(256) }))).toThrow("at most 255");
  });

  it("holds one flat string of a little over 100 characters for a typical credential", () => {
    expect(pack(credential())).toHaveLength(1 + 13 + 32 + 1 + 36 + "acme-analytics".length);
  });

  describe("with the secret's inner hash in place of the digest", () => {
    const inner = Buffer.from([0, 255, ...randomBytes(30)]).toString("latin1");

    it("keeps everything else of an active credential, and is no longer", () => {
      for (const stored of [credential(), credential({ expiresAtMs: Date.parse("2031-06-01T12:00:00.123Z") })]) {
        const packed = pack(stored);
        const kept = withInnerHash(packed, inner);
        expect(unpack(kept)).toEqual({ ...stored, secretHash: "", innerHash: inner });
        expect(kept).toHaveLength(packed.length);
      }
    });

    it("leaves a revoked, malformed or unknown entry as it is: none of them is ever verified", () => {
      for (const packed of [
        pack(credential({ revoked: true })),
        pack(credential({ secretHash: "" })),
        pack(credential({ secretHash: "", revoked: true })),
        NOT_FOUND,
      ]) {
        expect(withInnerHash(packed, inner)).toBe(packed);
      }
    });

    it("is made once, and never from a hash of the wrong length", () => {
      const kept = withInnerHash(pack(credential()), inner);
      expect(withInnerHash(kept, randomBytes(32).toString("latin1"))).toBe(kept);
      const packed = pack(credential());
      expect(withInnerHash(packed, inner.slice(1))).toBe(packed);
      expect(withInnerHash(packed, "")).toBe(packed);
    });

    it("never unpacks with a digest a secret could match the stored way", () => {
      expect(unpack(withInnerHash(pack(credential()), inner))?.secretHash).toBe("");
      expect(unpack(pack(credential()))?.innerHash).toBeUndefined();
    });
  });
});
