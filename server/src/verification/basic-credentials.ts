/** The base64 alphabet (RFC 4648 §4) by char code: 1 for its 64 characters, 0 for the rest of ASCII. */
const BASE64 = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BASE64[ch.charCodeAt(0)] = 1;
const SCHEME = "basic";
const SPACE = 0x20;
const EQUALS = 0x3d;
const LOWER_CASE_BIT = 0x20;

/**
 * The token of an `Authorization: Basic <token>` header: the scheme in any case, one or more
 * spaces, base64 characters, up to two `=`, and nothing after but spaces. Undefined for anything
 * else. It matches exactly what `/^Basic +([A-Za-z0-9+/]+={0,2}) *$/i` captures (see the tests),
 * scanned by hand: on the cached Basic-auth route that expression cost ≈ 4 % of the server's CPU
 * (bench/notes.md, 2026-12-05, fifth session).
 */
export function basicToken(header: string): string | undefined {
  const length = header.length;
  if (length <= SCHEME.length || header.charCodeAt(SCHEME.length) !== SPACE) return undefined;
  // Setting the bit maps only 'B' and 'b' to 'b' (and so on): no other code unit has that image.
  for (let i = 0; i < SCHEME.length; i++) {
    if ((header.charCodeAt(i) | LOWER_CASE_BIT) !== SCHEME.charCodeAt(i)) return undefined;
  }
  let i = SCHEME.length;
  while (i < length && header.charCodeAt(i) === SPACE) i++;
  const start = i;
  while (i < length && isBase64(header.charCodeAt(i))) i++;
  if (i === start) return undefined;
  for (let pads = 0; pads < 2 && i < length && header.charCodeAt(i) === EQUALS; pads++) i++;
  const end = i;
  while (i < length && header.charCodeAt(i) === SPACE) i++;
  return i === length ? header.slice(start, end) : undefined;
}

function isBase64(code: number): boolean {
  return code < BASE64.length && BASE64[code] === 1;
}
