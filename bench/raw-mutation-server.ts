// The floors under createSecret and rotateSecret, from a node:http server with a mysql2 pool and
// nothing else — no GraphQL, no ORM, no host token, no logging, no rate limit — on Keyturn's own
// tables, with rows of the same shape (Keyturn's credential format, hex HMAC):
// - a create sends the statements Keyturn's create sent before its stored procedure. The research
//   the mutation goals come from measured this shape ("raw (f)") and asked for it to be reported
//   beside the GraphQL figures;
// - a rotation calls Keyturn's own procedure, keyturn_rotate_secret, and commits, as Keyturn does
//   on MySQL: what is left of a rotation without Keyturn's stack.
// `npm run bench` runs both in the same rounds as the mutations, on the server core, so the table
// shows what this machine allows a change at that moment and how much of its cost is the stack.
//
//   PORT=… DATABASE_URL=mariadb://…/<migrated database> DB_POOL_SIZE=10 node bench/dist/raw-mutation-server.js
//   POST / {"projectId"} and POST /rotate {"secretId", "projectId"} → 200 {"secretId", "keyId",
//   "secret"}, or 500 with the error; GET → 200.
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { CredentialFormat } from "@keyturn/shared";
import { createPool, type Pool, type PoolConnection } from "mysql2";
// Time-ordered ids, as Keyturn makes its rows' (server/src/database/row-id.ts).
import { v7 as newRowId } from "uuid";
import { connectionOptions } from "./lib/mysql";

/** The bench's MAX_ACTIVE_SECRETS_PER_PROJECT for Keyturn: the slot UPDATE compares with it. */
export const RAW_MAX_ACTIVE_PER_PROJECT = 1000;

/**
 * Credentials of Keyturn's shape (same lengths, checksums and hint) under prefixes of their own,
 * so that the bench can tell the raw server's rows from Keyturn's in the shared tables.
 */
export const RAW_CREDENTIAL_FORMAT = new CredentialFormat({ keyId: "rawid", secret: "rawsk" });

export interface RawIssued {
  secretId: string;
  keyId: string;
  secret: string;
}

function run<T>(connection: PoolConnection, sql: string, params: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    // Prepared, as Keyturn runs a change's statements; START TRANSACTION and COMMIT as text, as TypeORM sends them.
    const done = (error: Error | null, result: unknown) => (error ? reject(error) : resolve(result as T));
    if (params.length) connection.execute(sql, params as never, done);
    else connection.query(sql, done);
  });
}

function acquire(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection)));
  });
}

/**
 * One create per call: the project's row once per project (outside the transaction, as Keyturn
 * does), then START TRANSACTION, the slot UPDATE, the three INSERTs and COMMIT on one pooled
 * connection. Rejects, having written nothing, when the project is full or a statement fails.
 */
export function rawCreate(pool: Pool, pepper: Buffer): (projectId: string, actor: string) => Promise<RawIssued> {
  const knownProjects = new Set<string>();
  return async (projectId, actor) => {
    const db = await acquire(pool);
    try {
      if (!knownProjects.has(projectId)) {
        await run(db, "INSERT IGNORE INTO project (id, active_secret_count, created_secret_count) VALUES (?, 0, 0)", [
          projectId,
        ]);
        knownProjects.add(projectId);
      }
      await run(db, "START TRANSACTION");
      try {
        const slot = await run<{ affectedRows: number; insertId: number }>(
          db,
          "UPDATE project SET active_secret_count = active_secret_count + 1, " +
            "created_secret_count = LAST_INSERT_ID(created_secret_count + 1) " +
            "WHERE id = ? AND active_secret_count < ?",
          [projectId, RAW_MAX_ACTIVE_PER_PROJECT],
        );
        if (slot.affectedRows !== 1) throw new Error(`project ${projectId} has no free slot`);
        const now = new Date();
        const created: RawIssued = { secretId: newRowId(), ...RAW_CREDENTIAL_FORMAT.generate() };
        const hint = RAW_CREDENTIAL_FORMAT.hint(created.secret);
        await run(
          db,
          "INSERT INTO api_secret (id, project_id, name, created_at, created_by, rotated_at, revoked_at, revoked_by, " +
            "current_key_id, secret_hint, last_used_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, NULL)",
          [created.secretId, projectId, `Secret ${slot.insertId}`, now, actor, created.keyId, hint],
        );
        await run(
          db,
          "INSERT INTO credential (id, secret_id, project_id, generation, key_id, secret_hash, hint, created_at, " +
            "expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, NULL, NULL, NULL)",
          [
            newRowId(),
            created.secretId,
            projectId,
            created.keyId,
            // Hex, as Keyturn stores it (SecretHasher.hash).
            createHmac("sha256", pepper).update(created.secret).digest("hex"),
            hint,
            now,
          ],
        );
        await run(
          db,
          "INSERT INTO audit_event (id, project_id, secret_id, action, actor, ip, user_agent, occurred_at, details) " +
            "VALUES (?, ?, ?, 'SECRET_CREATED', ?, '127.0.0.1', NULL, ?, ?)",
          [newRowId(), projectId, created.secretId, actor, now, JSON.stringify({ keyId: created.keyId })],
        );
        await run(db, "COMMIT");
        return created;
      } catch (error) {
        await run(db, "ROLLBACK").catch(() => undefined);
        throw error;
      }
    } finally {
      db.release();
    }
  };
}

/**
 * One rotation per call, without a grace period: keyturn_rotate_secret with the parameters
 * Keyturn's service passes, its outcome read, then COMMIT on the same pooled connection. Rejects,
 * having written nothing, when the procedure refuses (another project's secret, a revoked one).
 */
export function rawRotate(
  pool: Pool,
  pepper: Buffer,
): (secretId: string, projectId: string, actor: string) => Promise<RawIssued> {
  return async (secretId, projectId, actor) => {
    const db = await acquire(pool);
    try {
      const now = new Date();
      const { keyId, secret } = RAW_CREDENTIAL_FORMAT.generate();
      const results = await run<unknown[]>(
        db,
        "CALL keyturn_rotate_secret(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
          secretId,
          JSON.stringify([projectId]),
          now,
          null,
          null,
          0,
          newRowId(),
          keyId,
          createHmac("sha256", pepper).update(secret).digest("hex"),
          RAW_CREDENTIAL_FORMAT.hint(secret),
          newRowId(),
          "secret.rotated",
          actor,
          "127.0.0.1",
          null,
        ],
      );
      // The result set, then the CALL's status; the set holds the outcome.
      const sets = results.filter((set): set is Array<{ outcome?: unknown }> => Array.isArray(set));
      const outcome = sets.at(-1)?.[0]?.outcome;
      if (outcome !== "rotated") throw new Error(`keyturn_rotate_secret answered ${String(outcome)} for ${secretId}`);
      await run(db, "COMMIT");
      return { secretId, keyId, secret };
    } catch (error) {
      await run(db, "ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      db.release();
    }
  };
}

function serve(): void {
  const pool = createPool({
    ...connectionOptions(process.env.DATABASE_URL ?? ""),
    connectionLimit: Number(process.env.DB_POOL_SIZE ?? 10),
    timezone: "Z",
  });
  const pepper = randomBytes(32);
  const create = rawCreate(pool, pepper);
  const rotate = rawRotate(pool, pepper);
  createServer((req, res) => {
    if (req.method === "GET") {
      // Readiness, for lib/processes.ts.
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ready"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const answer = (status: number, body: unknown) => {
        const json = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
        res.end(json);
      };
      Promise.resolve()
        .then(() => {
          const { projectId, secretId } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
            projectId?: unknown;
            secretId?: unknown;
          };
          if (typeof projectId !== "string") throw new Error("projectId must be a string");
          if (req.url !== "/rotate") return create(projectId, "raw@example.com");
          if (typeof secretId !== "string") throw new Error("secretId must be a string");
          return rotate(secretId, projectId, "raw@example.com");
        })
        .then(
          (created) => answer(200, created),
          (error: unknown) => answer(500, { error: String(error) }),
        );
    });
  }).listen(Number(process.env.PORT), "127.0.0.1", () => {
    console.log(`listening on ${process.env.PORT}`);
  });
}

if (require.main === module) serve();
