import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, it } from "@jest/globals";
import { describeEachDatabase } from "./support/databases";
import { CREATE_SECRET, REVOKE_SECRET, createSecret, rotateSecret, verifyStatus } from "./support/operations";
import { hostToken, useTestServer, type TestServer } from "./support/test-server";

/** Everything the database holds, as text: every row of every table, or the SQLite files byte for byte. */
async function dumpDatabase(server: TestServer): Promise<string> {
  if (server.database.dialect === "sqlite") {
    const dir = dirname(server.database.url.slice("sqlite:".length));
    return readdirSync(dir)
      .map((file) => readFileSync(join(dir, file)).toString("latin1"))
      .join("\n");
  }
  const tables = await server.db.dataSource.query<Array<Record<string, string>>>("SHOW TABLES");
  const rows = await Promise.all(
    tables.map((t) => server.db.dataSource.query(`SELECT * FROM \`${Object.values(t)[0] ?? ""}\``)),
  );
  return JSON.stringify(rows);
}

describeEachDatabase("secret hygiene", (createDatabase) => {
  const server = useTestServer(createDatabase, { LOG_LEVEL: "trace" });
  const revealed: string[] = [];
  const tokens: string[] = [];

  it("keeps every revealed secret and every bearer token out of the database and the logs", async () => {
    const admin = await hostToken({ acme: "admin" });
    const viewer = await hostToken({ acme: "viewer" });
    const expired = await hostToken({ acme: "admin" }, { expiresIn: "-1h" });
    tokens.push(admin, viewer, expired);

    const first = await createSecret(server, admin, "acme", "First");
    const graced = await rotateSecret(server, admin, first.id, 3600);
    const immediate = await rotateSecret(server, admin, first.id);
    const second = await createSecret(server, admin, "acme", "Second");
    revealed.push(first.secret, graced.secret, immediate.secret, second.secret);

    for (const c of [first, graced, immediate, second]) {
      await verifyStatus(server, c.keyId, c.secret);
      await verifyStatus(server, c.keyId, `${c.secret.slice(0, -1)}x`);
      await server
        .http()
        .get("/analytics/v1/report")
        .set("authorization", `Basic ${Buffer.from(`${c.keyId}:${c.secret}`).toString("base64")}`);
    }
    await server.graphql(CREATE_SECRET, { input: { projectId: "acme" } }, viewer);
    await server.graphql(CREATE_SECRET, { input: { projectId: "acme" } }, expired);
    await server.graphql(REVOKE_SECRET, { input: { id: second.id } }, admin);
    await server.app.lastUsed.flush();

    const dump = await dumpDatabase(server);
    const logs = server.logs.join("");
    expect(logs.length).toBeGreaterThan(1000);
    for (const value of [...revealed, ...tokens]) {
      expect({ value, inDatabase: dump.includes(value), inLogs: logs.includes(value) }).toEqual({
        value,
        inDatabase: false,
        inLogs: false,
      });
    }
    // The random body of each secret (without the prefix and checksum) is absent too.
    for (const secret of revealed)
      expect(dump.includes(secret.slice(5, -6)) || logs.includes(secret.slice(5, -6))).toBe(false);
  });
});
