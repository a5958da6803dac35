import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import { sameDigest, SecretHasher, storedDigest, type Digest } from "./secret-hasher";

const PEPPER = "server-side-pepper-0123456789abcdefghij";
const SECRET = "ktsk_3xQm0c8PzVb6Lr1NwT9yKd4Hs7Ug2Ej5Aa1b2C";

/** The verifier's check of a presented secret against a stored digest (Verifier, no inner hash kept). */
function matches(hasher: SecretHasher, secret: string, stored: Digest): boolean {
  return hasher.completes(hasher.innerHash(secret), stored);
}

describe("SecretHasher", () => {
  const hasher = new SecretHasher(PEPPER);

  it("hashes to 64 lowercase hex characters", () => {
    expect(hasher.hash(SECRET)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("hashes the same secret to the same value under the same pepper", () => {
    // Verification recomputes the hash on every request, in a process that may have restarted.
    expect(new SecretHasher(PEPPER).hash(SECRET)).toBe(hasher.hash(SECRET));
  });

  it("hashes differently under another pepper", () => {
    // A database copied without the pepper must not be usable to test guesses.
    expect(new SecretHasher(`${PEPPER}x`).hash(SECRET)).not.toBe(hasher.hash(SECRET));
  });

  it("hashes different secrets differently", () => {
    expect(hasher.hash(`${SECRET.slice(0, -1)}D`)).not.toBe(hasher.hash(SECRET));
  });

  it("is a keyed hash, not a plain SHA-256 of the secret", () => {
    expect(hasher.hash(SECRET)).not.toBe(createHash("sha256").update(SECRET).digest("hex"));
  });

  it.each([
    ["a short pepper", PEPPER],
    ["an empty pepper", ""],
    ["a pepper of exactly one block (64 bytes)", "p".repeat(64)],
    ["a pepper longer than a block, which RFC 2104 hashes first", "q".repeat(65)],
    ["a non-ASCII pepper", "päpper-ümlaut-€"],
    ["a pepper whose padded key has bytes past ASCII", "\u007f\u00c9"],
    ["a generated pepper", randomBytes(48).toString("base64")],
  ])("is HMAC-SHA-256, byte for byte, under %s", (_label, pepper) => {
    const keyed = new SecretHasher(pepper);
    const secrets = [
      SECRET,
      "",
      "é€😀",
      // Lone surrogates: both encoders write U+FFFD for each.
      "\ud800x",
      "\udc00",
      "x\ud800",
      "\udc00\ud800",
      "x".repeat(1_100),
      "€".repeat(400),
      ...Array.from({ length: 20 }, (_, i) => randomBytes(i * 7).toString("base64url")),
    ];
    for (const secret of secrets) {
      expect(keyed.hash(secret)).toBe(createHmac("sha256", pepper).update(secret, "utf8").digest("hex"));
    }
  });

  it("hashes each secret on its own, whatever was hashed before it", () => {
    // The outer input is rewritten in place: a secret must not see what the one before it left.
    const long = hasher.hash(`${SECRET}${SECRET}`);
    expect(hasher.hash(SECRET)).toBe(createHmac("sha256", PEPPER).update(SECRET).digest("hex"));
    expect(hasher.hash(`${SECRET}${SECRET}`)).toBe(long);
  });

  it("keeps no bytes of a secret once it is hashed or checked", () => {
    const keeper = new SecretHasher(PEPPER);
    keeper.hash(SECRET);
    matches(keeper, SECRET, storedDigest(keeper.hash(SECRET)));
    // The hasher's own buffers (private fields) are all it holds between calls.
    const held = Object.values(keeper).filter((value): value is Buffer => Buffer.isBuffer(value));
    expect(held.length).toBeGreaterThan(0);
    for (const buffer of held) expect(buffer.includes(Buffer.from(SECRET, "utf8"))).toBe(false);
  });

  it("matches the right secret against its stored hash", () => {
    expect(matches(hasher, SECRET, storedDigest(hasher.hash(SECRET)))).toBe(true);
  });

  it("does not match a wrong secret", () => {
    const stored = storedDigest(hasher.hash(SECRET));
    expect(matches(hasher, `${SECRET.slice(0, -1)}D`, stored)).toBe(false);
    expect(matches(hasher, "", stored)).toBe(false);
  });

  it("does not match a stored digest that differs in any one byte", () => {
    const right = hasher.hash(SECRET);
    expect(matches(hasher, SECRET, storedDigest(right))).toBe(true);
    for (let byte = 0; byte < 32; byte++) {
      const flipped = Buffer.from(right, "hex");
      flipped[byte] = (flipped[byte] ?? 0) ^ 0x01;
      expect({ byte, matches: matches(hasher, SECRET, storedDigest(flipped.toString("hex"))) }).toEqual({
        byte,
        matches: false,
      });
    }
  });

  it("does not match the right secret hashed under another pepper", () => {
    expect(matches(hasher, SECRET, storedDigest(new SecretHasher(`${PEPPER}x`).hash(SECRET)))).toBe(false);
  });

  it.each([
    ["empty", () => ""],
    ["63 characters", (hash: string) => hash.slice(0, 63)],
    ["64 non-hex characters", () => "z".repeat(64)],
    ["the hash with its last character made non-hex", (hash: string) => `${hash.slice(0, 63)}g`],
    ["128 characters", (hash: string) => hash + hash],
  ])("never matches, and never throws for, a stored value that is %s", (_label, stored) => {
    const hash = hasher.hash(SECRET);
    expect(matches(hasher, SECRET, storedDigest(stored(hash)))).toBe(false);
  });

  // Buffer.from(value, "hex") stops at the first character that does not complete a hex pair, so
  // without a shape check the right 64 hex characters followed by anything would still match.
  it.each([
    ["the hash followed by junk", (hash: string) => `${hash}zz`],
    ["the hash followed by a single hex digit", (hash: string) => `${hash}0`],
    ["the hash followed by a newline", (hash: string) => `${hash}\n`],
  ])("never matches a stored value that is %s", (_label, stored) => {
    const hash = hasher.hash(SECRET);
    expect(matches(hasher, SECRET, storedDigest(stored(hash)))).toBe(false);
  });

  describe("the inner hash, which a cache keeps for a verified secret", () => {
    const stored = storedDigest(hasher.hash(SECRET));

    it("is the HMAC's inner hash: SHA-256 of the padded pepper and the secret", () => {
      const ipad = Buffer.alloc(64, 0x36);
      Buffer.from(PEPPER, "utf8").forEach((byte, i) => (ipad[i] = byte ^ 0x36));
      for (const secret of [SECRET, "", "€".repeat(342)]) {
        const expected = createHash("sha256").update(ipad).update(secret, "utf8").digest().toString("latin1");
        expect(hasher.innerHash(secret)).toBe(expected);
      }
    });

    it("completes to the stored digest for the right secret only", () => {
      expect(hasher.completes(hasher.innerHash(SECRET), stored)).toBe(true);
      expect(hasher.completes(hasher.innerHash(`${SECRET.slice(0, -1)}D`), stored)).toBe(false);
      expect(hasher.completes(hasher.innerHash(SECRET), storedDigest("z".repeat(64)))).toBe(false);
    });

    it("tells the right secret from any other by one comparison", () => {
      const inner = hasher.innerHash(SECRET);
      expect(sameDigest(hasher.innerHash(SECRET), inner)).toBe(true);
      expect(sameDigest(hasher.innerHash(`${SECRET}x`), inner)).toBe(false);
      expect(sameDigest(new SecretHasher(`${PEPPER}x`).innerHash(SECRET), inner)).toBe(false);
    });

    it("differs from the stored digest, so neither can stand in for the other", () => {
      expect(hasher.innerHash(SECRET)).not.toBe(stored);
      expect(sameDigest(hasher.innerHash(SECRET), stored)).toBe(false);
    });
  });
});

describe("sameDigest", () => {
  const digest = "d".repeat(32);

  it("is true for equal digests and false when any one byte differs", () => {
    expect(sameDigest(digest, "d".repeat(32))).toBe(true);
    for (let i = 0; i < 32; i++) {
      expect(sameDigest(digest, `${digest.slice(0, i)}e${digest.slice(i + 1)}`)).toBe(false);
    }
  });

  it("matches nothing of another length, not even a prefix or an empty digest", () => {
    expect(sameDigest(digest, digest.slice(0, 31))).toBe(false);
    expect(sameDigest(digest.slice(0, 31), digest.slice(0, 31))).toBe(false);
    expect(sameDigest("", "")).toBe(false);
  });
});
