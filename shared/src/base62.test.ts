import { describe, expect, it } from "@jest/globals";
import { BASE62_ALPHABET, encodeBase62, isBase62, randomBase62 } from "./base62";

describe("randomBase62", () => {
  it("returns one text of exactly each requested number of alphabet characters", () => {
    const lengths = [1, 6, 32, 100, 0, 16];
    const values = randomBase62(...lengths);
    expect(values.map((value) => value.length)).toEqual(lengths);
    for (const value of values) expect(isBase62(value)).toBe(true);
  });

  it("draws the texts independently: no text repeats another's characters", () => {
    const [first = "", second = ""] = randomBase62(32, 32);
    expect(first).not.toBe(second);
    expect(second.startsWith(first.slice(1, 9))).toBe(false);
  });

  it("uses every character of the alphabet with roughly equal frequency, across refills", () => {
    const counts = new Map<string, number>();
    // Many short texts from one draw, and one long text that needs more bytes than the first draw holds.
    const texts = [...randomBase62(...Array.from({ length: 1000 }, () => 31)), ...randomBase62(31_000)];
    for (const ch of texts.join("")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
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
