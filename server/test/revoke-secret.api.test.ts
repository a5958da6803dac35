import { beforeAll, expect, it } from "@jest/globals";
import { AuditEvent } from "../src/audit/audit-event.entity";
import { describeEachDatabase } from "./support/databases";
import {
  CREATE_SECRET,
  LIST_SECRETS,
  REVOKE_SECRET,
  createSecret,
  errorCode,
  rotateSecret,
  verifyStatus,
} from "./support/operations";
import { hostToken, useTestServer } from "./support/test-server";

describeEachDatabase("revokeSecret", (createDatabase) => {
  const server = useTestServer(createDatabase, { MAX_ACTIVE_SECRETS_PER_PROJECT: "2" });
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin", full: "admin" });
  });

  it("stops every credential at once, including one in its grace period", async () => {
    const original = await createSecret(server, admin, "acme");
    const rotated = await rotateSecret(server, admin, original.id, 3600);
    const body = await server.graphql(REVOKE_SECRET, { input: { id: original.id } }, admin);

    expect(body.data?.revokeSecret.apiSecret).toMatchObject({
      id: original.id,
      status: "REVOKED",
      revokedBy: "alice@example.com",
      credentials: [],
    });
    expect(await verifyStatus(server, original.keyId, original.secret)).toBe(401);
    expect(await verifyStatus(server, rotated.keyId, rotated.secret)).toBe(401);
  });

  it("stops credentials the verification cache has seen verified, and holds for their inner hashes", async () => {
    // The second verification of each is checked against the inner hash the first left in the cache.
    const original = await createSecret(server, admin, "acme");
    const rotated = await rotateSecret(server, admin, original.id, 3600);
    for (const { keyId, secret } of [original, rotated, original, rotated]) {
      expect(await verifyStatus(server, keyId, secret)).toBe(200);
    }
    expect(await verifyStatus(server, rotated.keyId, original.secret)).toBe(401);
    await server.graphql(REVOKE_SECRET, { input: { id: original.id } }, admin);
    expect(await verifyStatus(server, original.keyId, original.secret)).toBe(401);
    expect(await verifyStatus(server, rotated.keyId, rotated.secret)).toBe(401);
  });

  it("keeps the revoked secret listed with its status and last Key ID", async () => {
    const secret = await createSecret(server, admin, "acme", "Old integration");
    await server.graphql(REVOKE_SECRET, { input: { id: secret.id } }, admin);
    const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, admin);
    expect(list.data?.apiSecrets.find((s: { id: string }) => s.id === secret.id)).toMatchObject({
      name: "Old integration",
      status: "REVOKED",
      currentKeyId: secret.keyId,
      credentials: [],
    });
  });

  it("is idempotent: revoking again changes nothing and audits nothing", async () => {
    const secret = await createSecret(server, admin, "acme");
    const first = await server.graphql(REVOKE_SECRET, { input: { id: secret.id } }, admin);
    const second = await server.graphql(REVOKE_SECRET, { input: { id: secret.id } }, admin);
    expect(second.errors).toBeUndefined();
    expect(second.data?.revokeSecret.apiSecret.revokedAt).toBe(first.data?.revokeSecret.apiSecret.revokedAt);
    const events = await server.db.dataSource.manager.findBy(AuditEvent, { secretId: secret.id });
    expect(events.map((e) => e.action).sort()).toEqual(["secret.created", "secret.revoked"]);
  });

  it("frees a slot under the project's limit", async () => {
    const first = await createSecret(server, admin, "full");
    await createSecret(server, admin, "full");
    const refused = await server.graphql(CREATE_SECRET, { input: { projectId: "full" } }, admin);
    expect(errorCode(refused)).toBe("LIMIT_EXCEEDED");

    await server.graphql(REVOKE_SECRET, { input: { id: first.id } }, admin);
    const accepted = await server.graphql(CREATE_SECRET, { input: { projectId: "full" } }, admin);
    expect(accepted.errors).toBeUndefined();
  });

  it("answers NOT_FOUND for an unknown id and BAD_USER_INPUT for a malformed one", async () => {
    const unknown = await server.graphql(
      REVOKE_SECRET,
      { input: { id: "00000000-0000-4000-8000-000000000000" } },
      admin,
    );
    expect(errorCode(unknown)).toBe("NOT_FOUND");
    const malformed = await server.graphql(REVOKE_SECRET, { input: { id: "'; DROP TABLE api_secret; --" } }, admin);
    expect(errorCode(malformed)).toBe("BAD_USER_INPUT");
  });
});
