import { describe, expect, it } from "@jest/globals";
import { crc32Ascii } from "./crc32";

describe("crc32Ascii", () => {
  it("matches the standard CRC-32 check value", () => {
    expect(crc32Ascii("123456789")).toBe(0xcbf43926);
  });

  it("is zero for the empty string and unsigned for every input", () => {
    expect(crc32Ascii("")).toBe(0);
    expect(crc32Ascii("The quick brown fox jumps over the lazy dog")).toBe(0x414fa339);
  });

  it("covers only the first `end` characters when given an end", () => {
    expect(crc32Ascii("123456789abcdef", 9)).toBe(0xcbf43926);
    expect(crc32Ascii("123456789", 0)).toBe(0);
  });
});
