import { crc32Ascii } from "./crc32";
import { decodeBase62, encodeBase62, isBase62, randomBase62 } from "./base62";

/** The prefixes a deployment stamps on its Key IDs and secrets, so that leaks are easy to scan for. */
export interface CredentialPrefixes {
  keyId: string;
  secret: string;
}

export const DEFAULT_CREDENTIAL_PREFIXES: Readonly<CredentialPrefixes> = Object.freeze({
  keyId: "ktid",
  secret: "ktsk",
});

/** A Key ID and its secret, as revealed once to the administrator who created or rotated them. */
export interface GeneratedCredential {
  keyId: string;
  secret: string;
}

/** Lowercase ASCII, starting with a letter: safe in HTTP Basic auth, env files and scanner regexes. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9_]{1,23}$/;

// 16 base62 characters are ~95 bits: Key IDs are public, they only need to be unique.
export const KEY_ID_RANDOM_LENGTH = 16;
// 32 base62 characters are ~190.5 bits of CSPRNG output (the contract asks for at least 160).
export const SECRET_RANDOM_LENGTH = 32;
// 62^6 > 2^32, so six base62 characters hold any CRC-32 value.
export const CHECKSUM_LENGTH = 6;
// How many trailing characters of a secret are kept for display. They fall inside the checksum:
// they reveal about 24 bits of a CRC of the random part, leaving over 166 bits unknown.
export const SECRET_HINT_LENGTH = 4;

const UNDERSCORE = 0x5f;

interface TokenShape {
  prefix: string;
  randomLength: number;
}

function mintToken({ prefix }: TokenShape, random: string): string {
  const head = `${prefix}_${random}`;
  return head + encodeBase62(crc32Ascii(head), CHECKSUM_LENGTH);
}

// Read in place, with no slice or encoded checksum made: a secret's check took ≈ 190 ns instead of
// ≈ 370, and the verifier runs it on every refusal of a cached credential and on every uncached
// lookup (bench/notes.md, 2026-12-04, seventh session).
function isWellFormedToken(value: string, { prefix, randomLength }: TokenShape): boolean {
  const randomStart = prefix.length + 1;
  const headLength = randomStart + randomLength;
  return (
    value.length === headLength + CHECKSUM_LENGTH &&
    value.startsWith(prefix) &&
    value.charCodeAt(prefix.length) === UNDERSCORE &&
    isBase62(value, randomStart, headLength) &&
    // Six base62 characters name each value below 62^6 once, so equal numbers are equal strings.
    decodeBase62(value, headLength) === crc32Ascii(value, headLength)
  );
}

/**
 * Mints and checks Keyturn credentials: `<keyIdPrefix>_<16 base62><crc32>` and
 * `<secretPrefix>_<32 base62><crc32>`. Checking is pure string work, so a typo or a truncated
 * value is rejected before any database lookup.
 */
export class CredentialFormat {
  readonly prefixes: Readonly<CredentialPrefixes>;
  private readonly keyIdShape: TokenShape;
  private readonly secretShape: TokenShape;

  constructor(prefixes: CredentialPrefixes = DEFAULT_CREDENTIAL_PREFIXES) {
    for (const [name, prefix] of [
      ["keyId", prefixes.keyId],
      ["secret", prefixes.secret],
    ] as const) {
      if (!PREFIX_PATTERN.test(prefix)) {
        throw new Error(`The ${name} prefix "${prefix}" must match ${PREFIX_PATTERN}`);
      }
    }
    if (prefixes.keyId === prefixes.secret) {
      throw new Error("The Key ID prefix and the secret prefix must differ");
    }
    this.prefixes = Object.freeze({ ...prefixes });
    this.keyIdShape = { prefix: prefixes.keyId, randomLength: KEY_ID_RANDOM_LENGTH };
    this.secretShape = { prefix: prefixes.secret, randomLength: SECRET_RANDOM_LENGTH };
  }

  generate(): GeneratedCredential {
    return {
      keyId: mintToken(this.keyIdShape, randomBase62(this.keyIdShape.randomLength)),
      secret: mintToken(this.secretShape, randomBase62(this.secretShape.randomLength)),
    };
  }

  isKeyId(value: string): boolean {
    return isWellFormedToken(value, this.keyIdShape);
  }

  isSecret(value: string): boolean {
    return isWellFormedToken(value, this.secretShape);
  }

  /** Both parts well formed with valid checksums; `null` when either is not. No I/O. */
  parse(keyId: unknown, secret: unknown): GeneratedCredential | null {
    if (typeof keyId !== "string" || typeof secret !== "string") return null;
    return this.isKeyId(keyId) && this.isSecret(secret) ? { keyId, secret } : null;
  }

  /** What the list shows in place of a secret, e.g. `ktsk_…x9Qa`. */
  hint(secret: string): string {
    return `${this.prefixes.secret}_…${secret.slice(-SECRET_HINT_LENGTH)}`;
  }

  /** A regular expression for secret scanners (GitHub, GitLab, trufflehog) that matches this deployment's secrets. */
  get secretScannerPattern(): string {
    return `\\b${this.prefixes.secret}_[0-9A-Za-z]{${SECRET_RANDOM_LENGTH + CHECKSUM_LENGTH}}\\b`;
  }
}
