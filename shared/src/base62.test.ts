import { describe, expect, it } from "@jest/globals";
import { BASE62_ALPHABET, encodeBase62, isBase62, randomBase62 } from "./base62";

describe("randomBase62", () => {
  it("returns exactly the requested number of alphabet characters", () => {
    for (const length of [1, 6, 32, 100]) {
      const value = randomBase62(length);
      expect(value).toHaveLength(length);
      expect(isBase62(value)).toBe(true);
    }
  });

  it("uses every character of the alphabet with roughly equal frequency", () => {
    const counts = new Map<string, number>();
    for (const ch of randomBase62(62_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1000 each; a modulo bias towards the first characters would push them far above.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1200);
    }
  });
});

describe("encodeBase62", () => {
  it("pads to the requested width and round-trips the largest CRC-32 value", () => {
    expect(encodeBase62(0, 6)).toBe("000000");
    expect(encodeBase62(61, 2)).toBe("0z");
    const encoded = encodeBase62(0xffffffff, 6);
    let decoded = 0;
    for (let i = 0; i < encoded.length; i++) decoded = decoded * 62 + BASE62_ALPHABET.indexOf(encoded.charAt(i));
    expect(decoded).toBe(0xffffffff);
  });
});
