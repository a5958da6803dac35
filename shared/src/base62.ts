export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const BASE62_PATTERN = /^[0-9A-Za-z]*$/;

// The only platform API shared code uses: Web Crypto's CSPRNG, present in browsers and Node 20+.
// Reached through globalThis because this package compiles without DOM or Node typings.
const webCrypto = (globalThis as unknown as { crypto: { getRandomValues<T extends Uint8Array>(array: T): T } }).crypto;

// 62 * 4 = 248: bytes at or above it are discarded so that every character is equally likely.
const UNBIASED_BYTE_LIMIT = 248;

/**
 * Uniformly random base62 texts of the given lengths from the platform CSPRNG (Web Crypto, present
 * in browsers and Node 20+), drawn together: a `getRandomValues` call costs ≈ 4.5 µs on Node
 * whatever its size, as much as the rest of making a credential (bench/notes.md).
 */
export function randomBase62(...lengths: number[]): string[] {
  const total = lengths.reduce((sum, length) => sum + length, 0);
  // A few spare bytes for the discarded ones: one draw nearly always does.
  const bytes = new Uint8Array(total + 16);
  const texts: string[] = [];
  let text = "";
  let next = bytes.length;
  for (const length of lengths) {
    while (text.length < length) {
      if (next === bytes.length) {
        webCrypto.getRandomValues(bytes);
        next = 0;
      }
      const byte = bytes[next++] as number;
      if (byte < UNBIASED_BYTE_LIMIT) text += BASE62_ALPHABET.charAt(byte % 62);
    }
    texts.push(text);
    text = "";
  }
  return texts;
}

/** Encodes a non-negative integer as base62, left-padded with zeros to `width` characters. */
export function encodeBase62(value: number, width: number): string {
  let out = "";
  let rest = value;
  do {
    out = BASE62_ALPHABET.charAt(rest % 62) + out;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  return out.padStart(width, "0");
}

export function isBase62(text: string): boolean {
  return BASE62_PATTERN.test(text);
}
