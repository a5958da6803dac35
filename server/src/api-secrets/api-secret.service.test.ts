import { randomUUID } from "node:crypto";
import { CredentialFormat } from "@keyturn/shared";
import { afterEach, beforeEach, expect, it } from "@jest/globals";
import { describeEachDatabase, itOnMysql, type TestDatabase } from "../../test/support/databases";
import type { Actor } from "../auth/actor";
import { Principal } from "../auth/principal";
import { parseDatabaseUrl } from "../config";
import { Database } from "../database/database";
import { insertRow } from "../database/rows";
import { SecretHasher } from "../verification/secret-hasher";
import { ApiSecret } from "./api-secret.entity";
import { Credential } from "./credential.entity";
import { ApiSecretService } from "./api-secret.service";

const actor: Actor = {
  principal: new Principal("admin@example.com", new Map([["acme", "admin"]])),
  ip: null,
  userAgent: null,
};

describeEachDatabase("ApiSecretService with a long history", (createDatabase) => {
  let database: TestDatabase;
  let db: Database;
  let service: ApiSecretService;
  let clock: number;

  beforeEach(async () => {
    database = await createDatabase();
    // One pooled connection: every statement, and the session counters read below, share it.
    db = await Database.open(parseDatabaseUrl(database.url, "/unused"), { poolSize: 1 });
    clock = Date.parse("2026-12-01T00:00:00.000Z");
    service = new ApiSecretService(db, new CredentialFormat(), new SecretHasher("pepper-0123456789abcdefghijklmnop"), {
      maxActivePerProject: 10,
      now: () => new Date(clock),
    });
  });

  afterEach(async () => {
    await db.close();
    await database.drop();
  });

  /** Rows and index entries MariaDB's storage engine read (Handler_read_*) while `work` ran; not counted on SQLite. */
  async function rowsRead(work: () => Promise<unknown>): Promise<number | undefined> {
    if (db.dialect !== "mysql") {
      await work();
      return undefined;
    }
    const counter = async () => {
      const rows = await db.execute((manager) =>
        manager.query<Array<{ Value: string }>>("SHOW SESSION STATUS LIKE 'Handler_read_%'"),
      );
      return rows.reduce((sum, row) => sum + Number(row.Value), 0);
    };
    // The statistics a table in use has (InnoDB refreshes them in the background, too late for a test).
    await db.execute((manager) => manager.query("ANALYZE TABLE credential"));
    const before = await counter();
    await work();
    return (await counter()) - before;
  }

  /** Other projects' secrets, each with a history of its own: the table a real deployment has. */
  async function otherSecrets(count: number, generations: number): Promise<void> {
    const at = new Date(clock - 86_400_000);
    await db.transaction(async (manager) => {
      for (let i = 0; i < count; i++) {
        const secretId = randomUUID();
        await insertRow(
          manager,
          ApiSecret,
          manager.create(ApiSecret, {
            id: secretId,
            projectId: `other-${i}`,
            name: "other",
            createdAt: at,
            createdBy: "admin@example.com",
            rotatedAt: at,
            revokedAt: null,
            revokedBy: null,
            credentialsRevoked: false,
            currentKeyId: `ktk_other_${i}_${generations}`,
            secretHint: "ktsk_…abcd",
            previousKeyId: null,
            previousExpiresAt: null,
            lastUsedAt: null,
          }),
        );
        for (let generation = 1; generation <= generations; generation++) {
          await insertRow(
            manager,
            Credential,
            manager.create(Credential, {
              id: randomUUID(),
              secretId,
              projectId: `other-${i}`,
              generation,
              keyId: `ktk_other_${i}_${generation}`,
              secretHash: "0".repeat(64),
              hint: "ktsk_…abcd",
              createdAt: at,
              expiresAt: null,
              // Ended by the rotation past it, as every credential its secret no longer names.
              revokedAt: generation < generations ? at : null,
              lastUsedAt: null,
            }),
          );
        }
      }
    });
  }

  it("reads only a secret's live credentials in a rotation, the list and a revocation, however many it had", async () => {
    await otherSecrets(200, 5);
    const created = await service.create(actor, { projectId: "acme", name: "history" });
    const id = created.apiSecret.id;
    const rotate = (gracePeriodSeconds: number) => service.rotate(actor, { id, gracePeriodSeconds });
    // Two live credentials, the current one and one in its grace period, each time it is measured.
    const measure = async () => {
      await rotate(60);
      return rowsRead(() => rotate(60));
    };
    const listing = () => rowsRead(() => service.list("acme"));

    const young = await measure();
    const youngList = await listing();
    // 20 credentials revoked by rotations without a grace period…
    for (let i = 0; i < 20; i++) await rotate(0);
    const revokedHistory = await measure();
    // …and 20 whose grace period ran out (expired, then revoked by the rotation after them).
    for (let i = 0; i < 20; i++) {
      await rotate(60);
      clock += 120_000;
    }
    const expiredHistory = await measure();
    const expiredList = await listing();

    expect(await db.dataSource.manager.countBy(Credential, { secretId: id })).toBe(47);
    const [listed] = await service.list("acme");
    expect(listed?.credentials.map((credential) => credential.generation).sort((a, b) => a - b)).toEqual([46, 47]);
    // Revoking it against revoking a secret with the same two live credentials and no more history.
    const fresh = await service.create(actor, { projectId: "acme", name: "fresh" });
    await service.rotate(actor, { id: fresh.apiSecret.id, gracePeriodSeconds: 60 });
    const youngRevocation = await rowsRead(() => service.revoke(actor, { id: fresh.apiSecret.id }));
    const longRevocation = await rowsRead(() => service.revoke(actor, { id }));
    expect((await db.dataSource.manager.findOneByOrFail(ApiSecret, { id })).revokedAt).not.toBeNull();
    expect((await service.list("acme")).map((secret) => secret.credentials)).toEqual([[], []]);
    if (db.dialect === "mysql") {
      // A row or two of slack for where the index range ends; the history is 20 and 40 rows.
      expect(revokedHistory).toBeLessThanOrEqual(young! + 2);
      expect(expiredHistory).toBeLessThanOrEqual(young! + 2);
      expect(expiredList).toBeLessThanOrEqual(youngList! + 2);
      expect(longRevocation).toBeLessThanOrEqual(youngRevocation! + 2);
    }
  });

  it("keeps each credential's row in agreement with its secret's: verification accepts what the list shows", async () => {
    const ids = [
      (await service.create(actor, { projectId: "acme", name: "a" })).apiSecret.id,
      (await service.create(actor, { projectId: "acme", name: "b" })).apiSecret.id,
    ];
    // What the credential rows alone say is live now (what verification reads), per secret.
    const liveByRows = async () => {
      const rows = await db.dataSource.manager.find(Credential, { where: ids.map((secretId) => ({ secretId })) });
      return ids.map((secretId) =>
        rows
          .filter((row) => row.secretId === secretId && row.projectId === "acme" && row.revokedAt === null)
          .filter((row) => row.expiresAt === null || row.expiresAt.getTime() > clock)
          .map((row) => [row.keyId, row.expiresAt?.getTime() ?? null])
          .sort(),
      );
    };
    const liveByList = async () => {
      const secrets = await service.list("acme");
      return ids.map((id) =>
        (secrets.find((secret) => secret.id === id)?.credentials ?? [])
          .map((credential) => [credential.keyId, credential.expiresAt?.getTime() ?? null])
          .sort(),
      );
    };
    // Rotations with and without a grace period, within one and past it, then a revocation.
    const steps = [60, 0, 60, 60, -90, 60, -30, 0, 60, -90, 60, 60, -30, 60];
    for (const [i, step] of steps.entries()) {
      if (step < 0) clock -= step * 1000;
      else await service.rotate(actor, { id: ids[i % 2]!, gracePeriodSeconds: step });
      expect(await liveByRows()).toEqual(await liveByList());
    }
    expect((await liveByRows()).map((live) => live.length)).toEqual([2, 2]);
    await service.revoke(actor, { id: ids[0]! });
    expect(await liveByRows()).toEqual([[], expect.any(Array)]);
    expect(await liveByRows()).toEqual(await liveByList());
  });
});

describeEachDatabase("ApiSecretService.create", (createDatabase, dialect) => {
  let database: TestDatabase;
  let db: Database;
  let service: ApiSecretService;

  beforeEach(async () => {
    database = await createDatabase();
    db = await Database.open(parseDatabaseUrl(database.url, "/unused"));
    service = new ApiSecretService(db, new CredentialFormat(), new SecretHasher("pepper-0123456789abcdefghijklmnop"), {
      maxActivePerProject: 10,
    });
  });

  afterEach(async () => {
    await db.close();
    await database.drop();
  });

  const count = async (sql: string) => {
    const [row] = await db.execute((manager) => manager.query<Array<{ n: number | string }>>(sql));
    return Number(row?.n);
  };

  it("writes nothing and takes no slot when its last write fails", async () => {
    // On MySQL the transaction runs inside keyturn_create_secret; on SQLite in Keyturn's own.
    const failAudit =
      db.dialect === "mysql"
        ? "CREATE TRIGGER audit_down BEFORE INSERT ON audit_event FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit down'"
        : "CREATE TRIGGER audit_down BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'audit down'); END";
    await db.execute((manager) => manager.query(failAudit));

    await expect(service.create(actor, { projectId: "acme" })).rejects.toThrow(/audit down/);
    expect(await count("SELECT COUNT(*) AS n FROM api_secret")).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM credential")).toBe(0);
    expect(await count("SELECT active_secret_count + created_secret_count AS n FROM project WHERE id = 'acme'")).toBe(
      0,
    );

    await db.execute((manager) => manager.query("DROP TRIGGER audit_down"));
    const created = await service.create(actor, { projectId: "acme" });
    expect(created.apiSecret.name).toBe("Secret 1");
  });

  it("stores the audit details as JSON.stringify makes them, named or not", async () => {
    const unnamed = await service.create(actor, { projectId: "acme" });
    const named = await service.create(actor, { projectId: "acme", name: '  "Billing" \\ ünïcode ✓ 🔑 ' });
    expect(named.apiSecret.name).toBe('"Billing" \\ ünïcode ✓ 🔑');
    const details = await db.execute((manager) =>
      manager.query<Array<{ secret_id: string; details: string }>>("SELECT secret_id, details FROM audit_event"),
    );
    const bySecret = new Map(details.map((row) => [row.secret_id, row.details]));
    expect(bySecret.get(unnamed.apiSecret.id)).toBe(
      JSON.stringify({ name: "Secret 1", keyId: unnamed.credentials.keyId }),
    );
    expect(bySecret.get(named.apiSecret.id)).toBe(
      JSON.stringify({ name: '"Billing" \\ ünïcode ✓ 🔑', keyId: named.credentials.keyId }),
    );
  });

  it("stores a rotation's audit details as JSON.stringify makes them, with a grace period or without", async () => {
    const created = await service.create(actor, { projectId: "acme" });
    const graceful = await service.rotate(actor, { id: created.apiSecret.id, gracePeriodSeconds: 3600 });
    const abrupt = await service.rotate(actor, { id: created.apiSecret.id, gracePeriodSeconds: 0 });
    const rows = await db.execute((manager) =>
      manager.query<Array<{ details: string }>>(
        "SELECT details FROM audit_event WHERE action = 'secret.rotated' ORDER BY occurred_at, id",
      ),
    );
    const previousExpiresAt = graceful.apiSecret.credentials[1]?.expiresAt?.toISOString();
    expect(previousExpiresAt).toBeDefined();
    expect(rows.map((row) => row.details)).toEqual([
      JSON.stringify({
        keyId: graceful.credentials.keyId,
        previousKeyId: created.credentials.keyId,
        gracePeriodSeconds: 3600,
        previousExpiresAt,
      }),
      JSON.stringify({
        keyId: abrupt.credentials.keyId,
        previousKeyId: graceful.credentials.keyId,
        gracePeriodSeconds: 0,
        previousExpiresAt: null,
      }),
    ]);
  });

  // The neighbour's change is a rotation without a grace period or with one, or a revocation.
  itOnMysql(dialect).each([
    { neighbour: "rotation", gracePeriodSeconds: 0 },
    { neighbour: "rotation", gracePeriodSeconds: 60 },
    { neighbour: "revocation", gracePeriodSeconds: 60 },
  ])(
    "rotates a secret while its neighbour's $neighbour holds its locks (grace periods of $gracePeriodSeconds s)",
    async ({ neighbour, gracePeriodSeconds }) => {
      // Ids made one after another sort together in (secret_id, generation): the second secret's
      // entries begin where the first's end. Each has a history, as a secret does after its first
      // rotation.
      const first = await service.create(actor, { projectId: "acme" });
      const second = await service.create(actor, { projectId: "acme" });
      expect(first.apiSecret.id < second.apiSecret.id).toBe(true);
      for (const { apiSecret } of [first, second])
        await service.rotate(actor, { id: apiSecret.id, gracePeriodSeconds });
      // The second's change holds its transaction open for two seconds at its last write.
      await db.execute((manager) =>
        manager.query(
          `CREATE TRIGGER audit_slow BEFORE INSERT ON audit_event FOR EACH ROW
           BEGIN IF NEW.secret_id = '${second.apiSecret.id}' THEN DO SLEEP(2); END IF; END`,
        ),
      );
      const finished: string[] = [];
      const changeSecond = (
        neighbour === "rotation"
          ? service.rotate(actor, { id: second.apiSecret.id, gracePeriodSeconds })
          : service.revoke(actor, { id: second.apiSecret.id })
      ).then(() => finished.push("second"));
      // Until the second's transaction holds its locks (it has ended its credentials by then). Not
      // more often than every 100 ms: InnoDB refreshes innodb_trx only after that long unread.
      const holding = async () => {
        const rows = await db.execute((manager) =>
          manager.query<Array<{ n: number | string }>>(
            "SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_rows_locked > 0",
          ),
        );
        return Number(rows[0]?.n) > 0;
      };
      do {
        await new Promise((resolve) => setTimeout(resolve, 150));
        if (finished.length) throw new Error("The second change ended before its locks were seen");
      } while (!(await holding()));

      // At REPEATABLE READ a locking range read of the second's live credentials (through
      // idx_credential_live, before 2026-12-05) also locked the gap before its first entry, where
      // ending the first secret's credential put an entry: the first waited for its COMMIT. Since
      // 1796800000000 no change reads a range of credentials (since 1797000000000 it writes the
      // rows it ends by their Key IDs); this keeps it so.
      await service.rotate(actor, { id: first.apiSecret.id, gracePeriodSeconds });
      finished.push("first");
      await changeSecond;
      expect(finished).toEqual(["first", "second"]);
    },
    15_000,
  );

  it("changes nothing when a rotation's last write fails", async () => {
    const created = await service.create(actor, { projectId: "acme" });
    const failAudit =
      db.dialect === "mysql"
        ? "CREATE TRIGGER audit_down BEFORE INSERT ON audit_event FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit down'"
        : "CREATE TRIGGER audit_down BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'audit down'); END";
    await db.execute((manager) => manager.query(failAudit));

    await expect(service.rotate(actor, { id: created.apiSecret.id, gracePeriodSeconds: 60 })).rejects.toThrow(
      /audit down/,
    );
    const [secret] = await service.list("acme");
    expect(secret?.currentKeyId).toBe(created.credentials.keyId);
    expect(secret?.rotatedAt).toBeNull();
    expect(secret?.credentials.map((c) => [c.keyId, c.expiresAt])).toEqual([[created.credentials.keyId, null]]);
    expect(secret?.previousKeyId).toBeNull();
    expect(await count("SELECT COUNT(*) AS n FROM credential")).toBe(1);
  });
});
