const MAX_AUTHORIZATION_LENGTH = 1024;
const SCHEME = "basic";
const SPACE = 0x20;
const EQUALS = 0x3d;
const COLON = 0x3a;
const LOWER_CASE = 0x20;
const MAX_PADDING = 2;

// The standard base64 alphabet, by character code (RFC 4648, section 4).
const BASE64 = new Uint8Array(0x80);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BASE64[c.charCodeAt(0)] = 1;

/** What a Basic header presents; both undefined when it presents nothing usable. */
export interface BasicCredentials {
  keyId: string | undefined;
  secret: string | undefined;
}

const NOTHING: BasicCredentials = Object.freeze({ keyId: undefined, secret: undefined });

/**
 * keyId and secret from `Authorization: Basic base64(keyId:secret)`; anything else presents nothing.
 * Each is decoded from the bytes on its own side of the first colon (a colon byte is only ever a
 * colon in UTF-8), so the Key ID is not a slice of a string that holds the secret: V8 would keep
 * that whole string alive for as long as anything keeps the Key ID.
 */
export function basicCredentials(authorization: string | undefined): BasicCredentials {
  const encoded = authorization !== undefined ? basicToken(authorization) : undefined;
  if (encoded === undefined) return NOTHING;
  const decoded = Buffer.from(encoded, "base64");
  const colon = decoded.indexOf(COLON);
  if (colon < 0) return NOTHING;
  return { keyId: decoded.toString("utf8", 0, colon), secret: decoded.toString("utf8", colon + 1) };
}

/**
 * The token of a Basic header: the scheme in any case, one or more spaces, the standard base64
 * alphabet with at most two "=" of padding, then nothing but spaces (what
 * `/^Basic +([A-Za-z0-9+/]+={0,2}) *$/i` captures). Read code by code: that expression took ≈ 3 %
 * of the cached route's time under load (bench/notes.md, 2026-12-06).
 */
export function basicToken(authorization: string): string | undefined {
  if (authorization.length > MAX_AUTHORIZATION_LENGTH || authorization.length <= SCHEME.length) return undefined;
  for (let i = 0; i < SCHEME.length; i++) {
    if ((authorization.charCodeAt(i) | LOWER_CASE) !== SCHEME.charCodeAt(i)) return undefined;
  }
  if (authorization.charCodeAt(SCHEME.length) !== SPACE) return undefined;
  let start = SCHEME.length + 1;
  while (authorization.charCodeAt(start) === SPACE) start++;
  let end = authorization.length;
  while (end > start && authorization.charCodeAt(end - 1) === SPACE) end--;
  let i = start;
  while (i < end && isBase64(authorization.charCodeAt(i))) i++;
  if (i === start) return undefined;
  const padding = i;
  while (i < end && authorization.charCodeAt(i) === EQUALS) i++;
  return i === end && i - padding <= MAX_PADDING ? authorization.slice(start, end) : undefined;
}

function isBase64(code: number): boolean {
  return code < BASE64.length && BASE64[code] === 1;
}
