import { describe, expect, it } from "@jest/globals";
import { BASE62_ALPHABET } from "./base62";
import { CredentialFormat, DEFAULT_CREDENTIAL_PREFIXES, SECRET_RANDOM_LENGTH } from "./credential-format";

const format = new CredentialFormat();

/** Every string that differs from `value` in exactly one character (substitution by base62 or a few others). */
function* singleCharacterChanges(value: string): Generator<string> {
  const replacements = BASE62_ALPHABET + "_-.+/ ";
  for (let i = 0; i < value.length; i++) {
    for (const ch of replacements) {
      if (ch !== value[i]) yield value.slice(0, i) + ch + value.slice(i + 1);
    }
  }
}

describe("CredentialFormat", () => {
  it("generates a prefixed Key ID and secret that parse", () => {
    const { keyId, secret } = format.generate();
    expect(keyId).toMatch(/^ktid_[0-9A-Za-z]{22}$/);
    expect(secret).toMatch(/^ktsk_[0-9A-Za-z]{38}$/);
    expect(format.parse(keyId, secret)).toEqual({ keyId, secret });
  });

  it("carries at least 160 bits of randomness in a secret", () => {
    expect(SECRET_RANDOM_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(160);
  });

  it("generates 100,000 unique secrets that all parse", () => {
    const seen = new Set<string>();
    const unparsable: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const { keyId, secret } = format.generate();
      if (!format.parse(keyId, secret)) unparsable.push(secret);
      seen.add(secret);
    }
    expect(unparsable).toEqual([]);
    expect(seen.size).toBe(100_000);
  });

  it("rejects every single-character change of a sample of secrets and Key IDs", () => {
    let checked = 0;
    const accepted: string[] = [];
    for (let sample = 0; sample < 200; sample++) {
      const { keyId, secret } = format.generate();
      for (const changed of singleCharacterChanges(secret)) {
        if (format.isSecret(changed)) accepted.push(changed);
        checked++;
      }
      for (const changed of singleCharacterChanges(keyId)) {
        if (format.isKeyId(changed)) accepted.push(changed);
      }
    }
    expect(accepted).toEqual([]);
    expect(checked).toBeGreaterThan(200 * 43 * 60);
  });

  it("rejects truncated, extended, swapped and non-string values without throwing", () => {
    const { keyId, secret } = format.generate();
    expect(format.parse(keyId, secret.slice(0, -1))).toBeNull();
    expect(format.parse(keyId, `${secret}0`)).toBeNull();
    expect(format.parse(secret, keyId)).toBeNull();
    expect(format.parse(keyId, undefined)).toBeNull();
    expect(format.parse(42, secret)).toBeNull();
    expect(format.parse(keyId, "")).toBeNull();
    expect(format.parse(keyId, "ktsk_" + "é".repeat(38))).toBeNull();
    expect(format.parse(keyId, "x".repeat(10_000))).toBeNull();
  });

  it("honours per-deployment prefixes and refuses the default ones", () => {
    const custom = new CredentialFormat({ keyId: "acme_id", secret: "acme_live" });
    const { keyId, secret } = custom.generate();
    expect(keyId.startsWith("acme_id_")).toBe(true);
    expect(secret.startsWith("acme_live_")).toBe(true);
    expect(custom.parse(keyId, secret)).not.toBeNull();
    expect(format.parse(keyId, secret)).toBeNull();
    expect(new RegExp(custom.secretScannerPattern).test(`token=${secret};`)).toBe(true);
  });

  it("refuses prefixes that are unsafe or identical", () => {
    expect(() => new CredentialFormat({ keyId: "Key", secret: "sk" })).toThrow(/keyId prefix/);
    expect(() => new CredentialFormat({ keyId: "id", secret: "s:k" })).toThrow(/secret prefix/);
    expect(() => new CredentialFormat({ keyId: "same", secret: "same" })).toThrow(/must differ/);
  });

  it("hints with the last four characters, which lie inside the checksum", () => {
    const { secret } = format.generate();
    expect(format.hint(secret)).toBe(`${DEFAULT_CREDENTIAL_PREFIXES.secret}_…${secret.slice(-4)}`);
  });
});
