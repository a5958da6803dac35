export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const BASE62_PATTERN = /^[0-9A-Za-z]*$/;

// The only platform API shared code uses: Web Crypto's CSPRNG, present in browsers and Node 20+.
// Reached through globalThis because this package compiles without DOM or Node typings.
const webCrypto = (globalThis as unknown as { crypto: { getRandomValues<T extends Uint8Array>(array: T): T } }).crypto;

// 62 * 4 = 248: bytes at or above it are discarded so that every character is equally likely.
const UNBIASED_BYTE_LIMIT = 248;

/** Uniformly random base62 text from the platform CSPRNG (Web Crypto, present in browsers and Node 20+). */
export function randomBase62(length: number): string {
  let out = "";
  const bytes = new Uint8Array(length + 16);
  while (out.length < length) {
    webCrypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte < UNBIASED_BYTE_LIMIT) out += BASE62_ALPHABET.charAt(byte % 62);
      if (out.length === length) break;
    }
  }
  return out;
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
