export const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// The only platform API shared code uses: Web Crypto's CSPRNG, present in browsers and Node 20+.
// Reached through globalThis because this package compiles without DOM or Node typings.
const webCrypto = (globalThis as unknown as { crypto: { getRandomValues<T extends Uint8Array>(array: T): T } }).crypto;

// 62 * 4 = 248: bytes at or above it are discarded so that every character is equally likely.
const UNBIASED_BYTE_LIMIT = 248;

// A `getRandomValues` call costs 2.4–4.3 µs on Node on the bench VM whatever its size, ≈ 13 µs of a
// rotation in a profile under load; a kilobyte covers about twenty credentials (48 characters
// each), ≈ 0.2 µs apiece (bench/notes.md, 2026-12-04). Bytes are drawn a kilobyte at a time, as
// Node's randomUUID and nanoid do, and each is zeroed as it is used: the pool holds only bytes no
// credential has had.
const POOL_BYTES = 1024;
const pool = new Uint8Array(POOL_BYTES);
let poolNext = POOL_BYTES;

function randomByte(): number {
  if (poolNext === POOL_BYTES) {
    webCrypto.getRandomValues(pool);
    poolNext = 0;
  }
  const byte = pool[poolNext] as number;
  pool[poolNext++] = 0;
  return byte;
}

/**
 * A uniformly random base62 text of `length` characters from the platform CSPRNG (Web Crypto,
 * present in browsers and Node 20+), through the pool above.
 */
export function randomBase62(length: number): string {
  let text = "";
  while (text.length < length) {
    const byte = randomByte();
    if (byte < UNBIASED_BYTE_LIMIT) text += BASE62_ALPHABET.charAt(byte % 62);
  }
  return text;
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

// Each ASCII code's base62 digit, or -1. A table, not three range tests: on random text those
// branches mispredict, and the check of a secret's 32 random characters took ≈ 150 ns, not ≈ 60.
const DIGITS = new Int8Array(128).fill(-1);
for (let digit = 0; digit < BASE62_ALPHABET.length; digit++) DIGITS[BASE62_ALPHABET.charCodeAt(digit)] = digit;

/** The base62 digit a character code stands for, or -1. */
function digitOf(code: number): number {
  return code < 128 ? (DIGITS[code] as number) : -1;
}

/**
 * Whether `text[start, end)` is all base62. Checked in place, like decodeBase62: the verifier
 * checks a refused secret's format on every refusal of a cached credential (bench/notes.md).
 */
export function isBase62(text: string, start = 0, end = text.length): boolean {
  for (let i = start; i < end; i++) if (digitOf(text.charCodeAt(i)) < 0) return false;
  return true;
}

/**
 * The value of `text[start, end)` read as base62 (encodeBase62's inverse), or -1 if a character is
 * not base62. Exact up to 8 characters (62^8 < 2^53).
 */
export function decodeBase62(text: string, start = 0, end = text.length): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = digitOf(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 62 + digit;
  }
  return value;
}
