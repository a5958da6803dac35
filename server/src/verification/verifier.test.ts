import { CredentialFormat } from "@keyturn/shared";
import { describe, expect, it } from "@jest/globals";
import type { StoredCredential } from "./credential-lookup";
import { SecretHasher, storedDigest } from "./secret-hasher";
import { Verifier, type VerifiedCredential } from "./verifier";

const format = new CredentialFormat();
const hasher = new SecretHasher("server-side-pepper-0123456789abcdefghij");

// Far from the real clock, so a test that passes only because the verifier read Date.now() would fail.
const NOW = Date.parse("2031-06-01T12:00:00.000Z");
const HOUR = 60 * 60 * 1000;

/** A Verifier over an in-memory table that records every lookup and every onVerified call. */
function setup() {
  const table = new Map<string, StoredCredential>();
  const lookups: string[] = [];
  const verified: Array<{ credential: VerifiedCredential; at: number }> = [];
  const verifier = new Verifier({
    format,
    hasher,
    findByKeyId: (keyId) => {
      lookups.push(keyId);
      return Promise.resolve(table.get(keyId) ?? null);
    },
    onVerified: (credential, at) => verified.push({ credential, at }),
    now: () => NOW,
  });

  let issued = 0;
  /** Mints a credential as the server would and stores only its hash. */
  function issue(state: Partial<Pick<StoredCredential, "expiresAtMs" | "revoked">> = {}) {
    const { keyId, secret } = format.generate();
    issued++;
    const stored: StoredCredential = {
      secretId: `secret-${issued}`,
      projectId: "shop",
      secretHash: storedDigest(hasher.hash(secret)),
      innerHash: undefined,
      expiresAtMs: null,
      revoked: false,
      ...state,
    };
    table.set(keyId, stored);
    return { keyId, secret, stored };
  }

  return { verifier, lookups, verified, issue };
}

/** `value` with the character at `index` replaced by a different base62 character. */
function changeCharacter(value: string, index: number): string {
  const replacement = value[index] === "A" ? "B" : "A";
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe("Verifier", () => {
  const good = format.generate();
  const otherDeployment = new CredentialFormat({ keyId: "acme_id", secret: "acme_sk" }).generate();

  it.each<[string, unknown, unknown]>([
    ["both undefined", undefined, undefined],
    ["null values", null, null],
    ["a numeric Key ID", 42, good.secret],
    ["an object secret", good.keyId, { secret: good.secret }],
    ["an array secret", good.keyId, [good.secret]],
    ["both empty", "", ""],
    ["an empty secret", good.keyId, ""],
    ["another deployment's prefixes", otherDeployment.keyId, otherDeployment.secret],
    ["a Key ID with one character changed (bad checksum)", changeCharacter(good.keyId, 8), good.secret],
    ["a secret with one character changed (bad checksum)", good.keyId, changeCharacter(good.secret, 10)],
    ["a truncated Key ID", good.keyId.slice(0, -1), good.secret],
    ["a truncated secret", good.keyId, good.secret.slice(0, -1)],
    ["Key ID and secret swapped", good.secret, good.keyId],
    ["a 10 KB secret", good.keyId, "x".repeat(10 * 1024)],
    ["a 10 KB Key ID", `ktid_${"A".repeat(10 * 1024)}`, good.secret],
  ])("refuses %s as MALFORMED without a lookup", async (_label, keyId, secret) => {
    const { verifier, lookups, verified } = setup();
    expect(await verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "MALFORMED" });
    expect(lookups).toEqual([]);
    expect(verified).toEqual([]);
  });

  it("verifies a stored credential as VALID with its project, secret and Key ID", async () => {
    const { verifier, lookups, issue } = setup();
    const { keyId, secret, stored } = issue();
    expect(await verifier.verify(keyId, secret)).toEqual({
      status: "VALID",
      credential: { projectId: "shop", secretId: stored.secretId, keyId },
    });
    expect(lookups).toEqual([keyId]);
  });

  it("refuses a well-formed Key ID it has never issued as UNKNOWN_KEY_ID", async () => {
    const { verifier, lookups } = setup();
    const stranger = format.generate();
    expect(await verifier.verify(stranger.keyId, stranger.secret)).toEqual({
      status: "INVALID",
      reason: "UNKNOWN_KEY_ID",
    });
    expect(lookups).toEqual([stranger.keyId]);
  });

  it("refuses another well-formed secret as WRONG_SECRET", async () => {
    const { verifier, issue } = setup();
    const { keyId } = issue();
    const { secret: otherSecret } = issue();
    expect(await verifier.verify(keyId, otherSecret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
  });

  it("refuses a revoked credential as REVOKED", async () => {
    const { verifier, issue } = setup();
    const { keyId, secret } = issue({ revoked: true });
    expect(await verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "REVOKED" });
  });

  it("does not tell a caller with the wrong secret that the credential is revoked", async () => {
    const { verifier, issue } = setup();
    const { keyId } = issue({ revoked: true });
    const { secret: otherSecret } = issue();
    expect(await verifier.verify(keyId, otherSecret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
  });

  it("refuses a credential whose grace period ended as EXPIRED, by the injected clock", async () => {
    const { verifier, issue } = setup();
    // Still in the future by the real clock: only the injected one makes it expired.
    const { keyId, secret } = issue({ expiresAtMs: NOW - 1000 });
    expect(await verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "EXPIRED" });
  });

  it("refuses a credential at the very moment it expires", async () => {
    const { verifier, issue } = setup();
    const { keyId, secret } = issue({ expiresAtMs: NOW });
    expect(await verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "EXPIRED" });
  });

  it("accepts a credential still inside its grace period", async () => {
    const { verifier, issue } = setup();
    const { keyId, secret } = issue({ expiresAtMs: NOW + 1000 });
    expect((await verifier.verify(keyId, secret)).status).toBe("VALID");
  });

  it("tells onVerified of each valid verification, with the stored credential and the injected time", async () => {
    const { verifier, verified, issue } = setup();
    const { keyId, secret, stored } = issue();
    await verifier.verify(keyId, secret);
    await verifier.verify(keyId, secret);
    expect(verified).toHaveLength(2);
    for (const call of verified) {
      expect(call.credential).toEqual({ projectId: "shop", secretId: stored.secretId, keyId });
      expect(call.at).toBe(NOW);
    }
  });

  it("never tells onVerified of an invalid verification", async () => {
    const { verifier, verified, issue } = setup();
    const active = issue();
    const revoked = issue({ revoked: true });
    const expired = issue({ expiresAtMs: NOW - HOUR });
    const stranger = format.generate();

    const results = await Promise.all([
      verifier.verify(active.keyId, revoked.secret),
      verifier.verify(revoked.keyId, revoked.secret),
      verifier.verify(expired.keyId, expired.secret),
      verifier.verify(stranger.keyId, stranger.secret),
      verifier.verify(active.keyId, "not a secret"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["INVALID", "INVALID", "INVALID", "INVALID", "INVALID"]);
    expect(verified).toEqual([]);
  });

  it("works without onVerified or now", async () => {
    const { keyId, secret } = format.generate();
    const stored: StoredCredential = {
      secretId: "secret-1",
      projectId: "shop",
      secretHash: storedDigest(hasher.hash(secret)),
      innerHash: undefined,
      expiresAtMs: Date.now() + HOUR,
      revoked: false,
    };
    const verifier = new Verifier({ format, hasher, findByKeyId: () => Promise.resolve(stored) });
    expect((await verifier.verify(keyId, secret)).status).toBe("VALID");
  });

  it("rejects when the lookup fails, so the HTTP layer can answer 503 rather than 'invalid'", async () => {
    const verified: VerifiedCredential[] = [];
    const verifier = new Verifier({
      format,
      hasher,
      findByKeyId: () => Promise.reject(new Error("database is unreachable")),
      onVerified: (credential) => verified.push(credential),
      now: () => NOW,
    });
    await expect(verifier.verify(good.keyId, good.secret)).rejects.toThrow("database is unreachable");
    expect(verified).toEqual([]);
  });

  describe("with a cache that already knows the Key ID", () => {
    /** A verifier whose cache knows `known`; it counts format checks and database lookups. */
    function cachedSetup(known: Map<string, StoredCredential | null>) {
      const checked = { formats: 0, lookups: 0 };
      const kept: Array<[string, string]> = [];
      const counting = Object.create(format) as CredentialFormat;
      counting.parse = (keyId, secret) => (checked.formats++, format.parse(keyId, secret));
      const verifier = new Verifier({
        format: counting,
        hasher,
        cached: (keyId) => known.get(keyId),
        findByKeyId: () => (checked.lookups++, Promise.resolve(null)),
        keepInnerHash: (keyId, innerHash) => kept.push([keyId, innerHash]),
        now: () => NOW,
      });
      return { verifier, checked, kept };
    }
    const { keyId, secret } = format.generate();
    const stored: StoredCredential = {
      secretId: "secret-1",
      projectId: "shop",
      secretHash: storedDigest(hasher.hash(secret)),
      innerHash: undefined,
      expiresAtMs: null,
      revoked: false,
    };

    it("answers from it synchronously, without the checksums or a lookup", () => {
      const { verifier, checked } = cachedSetup(new Map([[keyId, stored]]));
      expect(verifier.verify(keyId, secret)).toEqual({
        status: "VALID",
        credential: { projectId: "shop", secretId: "secret-1", keyId },
      });
      expect(checked).toEqual({ formats: 0, lookups: 0 });
    });

    it("gives the reasons the checksums would have: a malformed secret is MALFORMED", () => {
      const unknown = format.generate().keyId;
      const { verifier, checked } = cachedSetup(
        new Map<string, StoredCredential | null>([
          [keyId, stored],
          [unknown, null],
        ]),
      );
      const malformed = changeCharacter(secret, 10);
      const results = [
        verifier.verify(keyId, malformed),
        verifier.verify(keyId, format.generate().secret),
        verifier.verify(keyId, 42),
        verifier.verify(unknown, malformed),
        verifier.verify(unknown, secret),
      ];
      expect(results).toEqual([
        { status: "INVALID", reason: "MALFORMED" },
        { status: "INVALID", reason: "WRONG_SECRET" },
        { status: "INVALID", reason: "MALFORMED" },
        { status: "INVALID", reason: "MALFORMED" },
        { status: "INVALID", reason: "UNKNOWN_KEY_ID" },
      ]);
      expect(checked.lookups).toBe(0);
    });

    it("checks the format before looking up a Key ID it does not know", async () => {
      const { verifier, checked } = cachedSetup(new Map());
      expect(await verifier.verify(keyId, changeCharacter(secret, 10))).toEqual({
        status: "INVALID",
        reason: "MALFORMED",
      });
      expect(checked).toEqual({ formats: 1, lookups: 0 });
      expect(await verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "UNKNOWN_KEY_ID" });
      expect(checked).toEqual({ formats: 2, lookups: 1 });
    });

    it("hands the cache the inner hash of a secret it verified against the stored digest", () => {
      const { verifier, kept } = cachedSetup(new Map([[keyId, stored]]));
      expect(verifier.verify(keyId, format.generate().secret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
      expect(kept).toEqual([]);
      expect(verifier.verify(keyId, secret)).toMatchObject({ status: "VALID" });
      expect(kept).toEqual([[keyId, hasher.innerHash(secret)]]);
    });

    it("checks a secret against a kept inner hash, and hands over nothing more", () => {
      const withInner = { ...stored, secretHash: "", innerHash: hasher.innerHash(secret) };
      const { verifier, kept } = cachedSetup(new Map([[keyId, withInner]]));
      expect(verifier.verify(keyId, secret)).toMatchObject({ status: "VALID" });
      expect(verifier.verify(keyId, format.generate().secret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
      expect(verifier.verify(keyId, changeCharacter(secret, 10))).toEqual({ status: "INVALID", reason: "MALFORMED" });
      expect(kept).toEqual([]);
    });

    it("keeps nothing for a credential that is refused, whatever its secret", () => {
      const { verifier, kept } = cachedSetup(
        new Map([
          [keyId, { ...stored, revoked: true }],
          ["expired", { ...stored, expiresAtMs: NOW }],
        ]),
      );
      expect(verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "REVOKED" });
      expect(verifier.verify("expired", secret)).toEqual({ status: "INVALID", reason: "EXPIRED" });
      expect(kept).toEqual([]);
    });

    it("refuses the stored digest itself presented as an inner hash, and the other way round", () => {
      // Neither value may stand in for the other: a cache entry holds one or the other, never both.
      const { verifier } = cachedSetup(
        new Map([
          [keyId, { ...stored, secretHash: "", innerHash: stored.secretHash }],
          ["outer", { ...stored, secretHash: hasher.innerHash(secret) }],
        ]),
      );
      expect(verifier.verify(keyId, secret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
      expect(verifier.verify("outer", secret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
    });
  });
});
