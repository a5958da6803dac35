import { beforeAll, describe, expect, it } from "@jest/globals";
import { ApiSecret } from "../src/api-secrets/api-secret.entity";
import { buildKeyturnSchema } from "../src/schema";
import { selectRows } from "../src/database/rows";
import { describeEachDatabase, itOnMysql } from "./support/databases";
import {
  CREATE_SECRET,
  AUDIT_EVENTS,
  LIST_SECRETS,
  PROJECT_ACCESS,
  REVOKE_SECRET,
  ROTATE_SECRET,
  createSecret,
  verifyStatus,
  type Revealed,
} from "./support/operations";
import { JWT_SECRET, hostToken, useTestServer } from "./support/test-server";

import matrix from "./authorization-matrix.json";

type Caller = keyof typeof matrix.callers;
type Outcome = "OK" | "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND";
type Operation = keyof typeof matrix.operations;

/** Who may do what, as data: authorization-matrix.json. */
const MATRIX = matrix.operations as Record<Operation, Record<Caller, Outcome>>;

describe("the authorisation matrix", () => {
  it("names every Query and Mutation field of the schema", async () => {
    const schema = await buildKeyturnSchema();
    const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}),
    );
    expect(fields.sort()).toEqual(Object.keys(MATRIX).sort());
  });
});

describeEachDatabase("authorisation", (createDatabase, dialect) => {
  // Every cell creates its own target secret.
  const server = useTestServer(createDatabase, { MAX_ACTIVE_SECRETS_PER_PROJECT: "1000" });
  let tokens: Record<Caller, string | undefined>;
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
    tokens = {
      anonymous: undefined,
      malformedToken: "not-a-jwt",
      wronglySigned: await hostToken({ acme: "admin" }, { secret: `${JWT_SECRET}-but-not-this-one` }),
      expired: await hostToken({ acme: "admin" }, { expiresIn: "-1h" }),
      noProjectRole: await hostToken({}),
      viewer: await hostToken({ acme: "viewer" }, { sub: "victor" }),
      admin,
      otherProjectAdmin: await hostToken({ globex: "admin" }, { sub: "mallory" }),
    };
  });

  async function attempt(operation: Operation, token: string | undefined, target: Revealed) {
    switch (operation) {
      case "apiSecrets":
        return server.graphql(LIST_SECRETS, { projectId: "acme" }, token);
      case "projectAccess":
        return server.graphql(PROJECT_ACCESS, { projectId: "acme" }, token);
      case "auditEvents":
        return server.graphql(AUDIT_EVENTS, { projectId: "acme" }, token);
      case "createSecret":
        return server.graphql(CREATE_SECRET, { input: { projectId: "acme" } }, token);
      case "rotateSecret":
        return server.graphql(ROTATE_SECRET, { input: { id: target.id } }, token);
      case "revokeSecret":
        return server.graphql(REVOKE_SECRET, { input: { id: target.id } }, token);
    }
  }

  const cells = Object.entries(MATRIX).flatMap(([operation, row]) =>
    Object.entries(row).map(([caller, outcome]) => [operation as Operation, caller as Caller, outcome] as const),
  );

  it.each(cells)("%s by %s → %s", async (operation, caller, outcome) => {
    const target = await createSecret(server, admin, "acme");
    const body = await attempt(operation, tokens[caller], target);
    if (outcome === "OK") {
      expect(body.errors).toBeUndefined();
      return;
    }
    expect(body.errors?.[0]?.extensions?.code).toBe(outcome);
    expect(body.data).toBeNull();
    // A refused call changes nothing: the target's credential still verifies.
    expect(await verifyStatus(server, target.keyId, target.secret)).toBe(200);
  });

  it("answers another project's secret id exactly as it answers an id that does not exist", async () => {
    const target = await createSecret(server, admin, "acme");
    const outsider = tokens.otherProjectAdmin;
    for (const mutation of [ROTATE_SECRET, REVOKE_SECRET]) {
      const existing = await server.graphql(mutation, { input: { id: target.id } }, outsider);
      const missing = await server.graphql(
        mutation,
        { input: { id: "00000000-0000-4000-8000-000000000000" } },
        outsider,
      );
      expect(existing).toEqual(missing);
    }
  });

  // SQLite has no row locks: every transaction waits its turn there, outsiders' included.
  itOnMysql(dialect)("never makes an outsider wait on a lock the owner holds (no probing by timing)", async () => {
    const target = await createSecret(server, admin, "acme");
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const hold = server.db.transaction(async (manager) => {
      await selectRows(manager, ApiSecret, { where: "id = :id", forUpdate: true }, { id: target.id });
      locked();
      await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    // Only once the owner holds the lock: asked earlier, the outsider would not wait whatever the
    // order of checks. (If the owner's read fails, `hold` rejects and so does this test.)
    await Promise.race([lockHeld, hold]);
    const started = Date.now();
    const body = await server.graphql(ROTATE_SECRET, { input: { id: target.id } }, tokens.otherProjectAdmin);
    expect(body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(Date.now() - started).toBeLessThan(1000);
    await hold;
  });

  it("tells admins and viewers what they may do, so a UI offers only that", async () => {
    const asAdmin = await server.graphql(PROJECT_ACCESS, { projectId: "acme" }, admin);
    const asViewer = await server.graphql(PROJECT_ACCESS, { projectId: "acme" }, tokens.viewer);
    expect(asAdmin.data?.projectAccess).toEqual({ projectId: "acme", role: "ADMIN", canManageSecrets: true });
    expect(asViewer.data?.projectAccess).toEqual({ projectId: "acme", role: "VIEWER", canManageSecrets: false });
  });

  it("never lets a token for one project list another's secrets", async () => {
    const body = await server.graphql(LIST_SECRETS, { projectId: "acme" }, tokens.otherProjectAdmin);
    expect(body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(JSON.stringify(body)).not.toMatch(/ktid_/);
  });
});
