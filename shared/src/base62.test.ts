import { describe, expect, it, jest } from "@jest/globals";
import { BASE62_ALPHABET, decodeBase62, encodeBase62, isBase62, randomBase62 } from "./base62";

describe("randomBase62", () => {
  it("returns a text of exactly the requested number of alphabet characters", () => {
    const lengths = [1, 6, 32, 100, 0, 16];
    const values = lengths.map((length) => randomBase62(length));
    expect(values.map((value) => value.length)).toEqual(lengths);
    for (const value of values) expect(isBase62(value)).toBe(true);
  });

  it("draws the texts independently: no text repeats another's characters", () => {
    const [first, second] = [randomBase62(32), randomBase62(32)];
    expect(first).not.toBe(second);
    expect(second.startsWith(first.slice(1, 9))).toBe(false);
  });

  it("uses every character of the alphabet with roughly equal frequency, across refills", () => {
    const counts = new Map<string, number>();
    // Many short texts, then one long text that needs many refills of the pool.
    const texts = [...Array.from({ length: 1000 }, () => randomBase62(31)), randomBase62(31_000)];
    for (const ch of texts.join("")) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1000 each; a modulo bias towards the first characters would push them far above.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1200);
    }
  });
});

describe("randomBase62's pool", () => {
  const webCrypto = globalThis.crypto;

  it("draws from the CSPRNG a kilobyte at a time, not once a text", () => {
    const draw = jest.spyOn(webCrypto, "getRandomValues");
    try {
      // 1,024 bytes, less the ~3 % discarded, make at least 900 characters.
      for (let i = 0; i < 30; i++) randomBase62(30);
      expect(draw.mock.calls.length).toBeLessThanOrEqual(2);
      expect(draw.mock.calls.every(([array]) => (array as Uint8Array).length === 1024)).toBe(true);
    } finally {
      draw.mockRestore();
    }
  });

  it("zeroes each byte once it is used, so that the pool keeps no credential's randomness", () => {
    let pool: Uint8Array | undefined;
    const fillWithSevens = (array: Uint8Array) => {
      pool = array;
      pool.fill(7);
      return array;
    };
    const draw = jest
      .spyOn(webCrypto, "getRandomValues")
      .mockImplementation(fillWithSevens as unknown as typeof webCrypto.getRandomValues);
    try {
      // Whatever is left of the current pool, then a fresh one of 7s: "7" is BASE62_ALPHABET[7].
      let text = "";
      while (!pool) text = randomBase62(1);
      expect(text).toBe("7");
      const next = randomBase62(100);
      expect(next).toBe("7".repeat(100));
      expect(pool.subarray(0, 101).every((byte) => byte === 0)).toBe(true);
      expect(pool.subarray(101).every((byte) => byte === 7)).toBe(true);
    } finally {
      draw.mockRestore();
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

describe("decodeBase62", () => {
  it("inverts encodeBase62, leading zeros included, for values across the CRC-32 range and up to 62^6 - 1", () => {
    for (const value of [0, 1, 61, 62, 3843, 916132831, 0x7fffffff, 0xffffffff, 62 ** 6 - 1]) {
      expect(decodeBase62(encodeBase62(value, 6))).toBe(value);
    }
    expect(decodeBase62("00000z")).toBe(61);
    expect(decodeBase62("")).toBe(0);
  });

  it("reads only the span it is given, in place", () => {
    expect(decodeBase62("xx10yy", 2, 4)).toBe(62);
    expect(decodeBase62("prefix_000010", 7)).toBe(62);
  });

  it("answers -1 for any character outside the alphabet, at either end or in the middle", () => {
    for (const text of ["-00000", "00000-", "00_000", "0000 0", "0000é0", "0000\u00000"]) {
      expect(decodeBase62(text)).toBe(-1);
    }
    // Outside the span, the same characters do not matter.
    expect(decodeBase62("-00001-", 1, 6)).toBe(1);
  });
});

describe("isBase62", () => {
  it("accepts exactly the 62 alphabet characters", () => {
    expect(isBase62(BASE62_ALPHABET)).toBe(true);
    expect(isBase62("")).toBe(true);
    for (let code = 0; code < 0x180; code++) {
      const char = String.fromCharCode(code);
      expect(isBase62(`a${char}b`)).toBe(BASE62_ALPHABET.includes(char));
    }
  });

  it("checks only the span it is given", () => {
    expect(isBase62("__abc__", 2, 5)).toBe(true);
    expect(isBase62("__abc__", 1, 5)).toBe(false);
    expect(isBase62("__abc__", 2, 6)).toBe(false);
  });
});
