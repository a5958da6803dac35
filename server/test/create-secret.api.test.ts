import { beforeAll, describe, expect, it } from "@jest/globals";
import { AuditEvent } from "../src/audit/audit-event.entity";
import { Credential } from "../src/api-secrets/credential.entity";
import { describeEachDatabase } from "./support/databases";
import { CREATE_SECRET, LIST_SECRETS, createSecret, errorCode, verifyStatus } from "./support/operations";
import { hostToken, useTestServer } from "./support/test-server";

describeEachDatabase("createSecret", (createDatabase) => {
  const server = useTestServer(createDatabase, { MAX_ACTIVE_SECRETS_PER_PROJECT: "3" });
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken(
      Object.fromEntries(
        ["shop", "listed", "stored", "audited", "markup", "limited", "racing", "invalid"].map((p) => [p, "admin"]),
      ),
    );
  });

  it("returns the new secret and its credentials once, with a verifiable secret", async () => {
    const body = await server.graphql(CREATE_SECRET, { input: { projectId: "shop", name: "  Production  " } }, admin);
    expect(body.errors).toBeUndefined();
    const { apiSecret, credentials } = body.data!.createSecret;
    expect(credentials.keyId).toMatch(/^ktid_[0-9A-Za-z]{22}$/);
    expect(credentials.secret).toMatch(/^ktsk_[0-9A-Za-z]{38}$/);
    expect(apiSecret).toMatchObject({
      projectId: "shop",
      name: "Production",
      status: "ACTIVE",
      currentKeyId: credentials.keyId,
      secretHint: `ktsk_…${credentials.secret.slice(-4)}`,
      createdBy: "alice@example.com",
      rotatedAt: null,
      revokedAt: null,
      lastUsedAt: null,
      credentials: [{ keyId: credentials.keyId, status: "ACTIVE", expiresAt: null }],
    });
    expect(Date.parse(apiSecret.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(await verifyStatus(server, credentials.keyId, credentials.secret)).toBe(200);
  });

  it("lists the new secret without its secret value", async () => {
    const created = await createSecret(server, admin, "listed", "Listed");
    const body = await server.graphql(LIST_SECRETS, { projectId: "listed" }, admin);
    const listed = body.data?.apiSecrets.find((s: { id: string }) => s.id === created.id);
    expect(listed).toMatchObject({ name: "Listed", currentKeyId: created.keyId });
    expect(JSON.stringify(body)).not.toContain(created.secret);
  });

  it("stores an HMAC of the secret and a hint, never the secret", async () => {
    const created = await createSecret(server, admin, "stored");
    const stored = await server.db.dataSource.manager.findOneByOrFail(Credential, { keyId: created.keyId });
    expect(stored.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.hint).toBe(`ktsk_…${created.secret.slice(-4)}`);
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(5, -6));
  });

  it("names unnamed secrets 'Secret <n>' by the project's count", async () => {
    const first = await server.graphql(CREATE_SECRET, { input: { projectId: "invalid" } }, admin);
    const second = await server.graphql(CREATE_SECRET, { input: { projectId: "invalid", name: null } }, admin);
    expect(first.data?.createSecret.apiSecret.name).toBe("Secret 1");
    expect(second.data?.createSecret.apiSecret.name).toBe("Secret 2");
  });

  it("records who created it, from where, in the same transaction — without the secret", async () => {
    const created = await createSecret(server, admin, "audited", "Audited");
    const events = await server.db.dataSource.manager.findBy(AuditEvent, { secretId: created.id });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "secret.created", actor: "alice@example.com", projectId: "audited" });
    expect(events[0]?.ip).toMatch(/127\.0\.0\.1/);
    expect(JSON.parse(events[0]?.details ?? "{}")).toEqual({ name: "Audited", keyId: created.keyId });
    expect(JSON.stringify(events)).not.toContain(created.secret);
  });

  describe("rejects bad input with BAD_USER_INPUT and creates nothing", () => {
    it.each([
      ["an empty name", { projectId: "invalid", name: "   " }, "name"],
      ["a 101-character name", { projectId: "invalid", name: "x".repeat(101) }, "name"],
      ["a 10,000-character name", { projectId: "invalid", name: "x".repeat(10_000) }, "name"],
      ["a name with a control character", { projectId: "invalid", name: "a\u0000b" }, "name"],
      ["a name with a bidi override", { projectId: "invalid", name: "evil\u202Etxt" }, "name"],
      ["a malformed project id", { projectId: "no spaces allowed", name: "ok" }, "projectId"],
      ["an over-long project id", { projectId: "p".repeat(129), name: "ok" }, "projectId"],
    ])("%s", async (_label, input, field) => {
      const before = await server.graphql(LIST_SECRETS, { projectId: "invalid" }, admin);
      const body = await server.graphql(CREATE_SECRET, { input }, admin);
      expect(errorCode(body)).toBe("BAD_USER_INPUT");
      expect(body.errors?.[0]?.extensions?.fields).toEqual([expect.objectContaining({ field })]);
      expect(body.data).toBeNull();
      const after = await server.graphql(LIST_SECRETS, { projectId: "invalid" }, admin);
      expect(after.data?.apiSecrets).toHaveLength(before.data?.apiSecrets.length);
    });

    it("a value of the wrong type", async () => {
      const body = await server.graphql(CREATE_SECRET, { input: { projectId: "invalid", name: 42 } }, admin);
      expect(errorCode(body)).toBe("BAD_USER_INPUT");
    });
  });

  it("keeps markup and emoji in names as plain text", async () => {
    const name = "<img src=x onerror=alert(1)> 🔑 '; DROP TABLE api_secret; --";
    const created = await createSecret(server, admin, "markup", name);
    const body = await server.graphql(LIST_SECRETS, { projectId: "markup" }, admin);
    expect(body.data?.apiSecrets.find((s: { id: string }) => s.id === created.id).name).toBe(name);
  });

  it("refuses a secret beyond the project's limit with LIMIT_EXCEEDED", async () => {
    for (let i = 0; i < 3; i++) await createSecret(server, admin, "limited");
    const body = await server.graphql(CREATE_SECRET, { input: { projectId: "limited" } }, admin);
    expect(errorCode(body)).toBe("LIMIT_EXCEEDED");
    expect(body.errors?.[0]?.message).toMatch(/3 active API secrets/);
  });

  it("never exceeds the limit under concurrent creates", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, () => server.graphql(CREATE_SECRET, { input: { projectId: "racing" } }, admin)),
    );
    const created = results.filter((r) => !r.errors);
    const refused = results.filter((r) => errorCode(r) === "LIMIT_EXCEEDED");
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(9);
    // Each create read back its own count (refusals counted nothing): the default names are 1 to 3.
    const names = created.map((r) => (r.data?.createSecret as { apiSecret: { name: string } }).apiSecret.name);
    expect(names.sort()).toEqual(["Secret 1", "Secret 2", "Secret 3"]);
    const list = await server.graphql(LIST_SECRETS, { projectId: "racing" }, admin);
    expect(list.data?.apiSecrets).toHaveLength(3);
  });
});
