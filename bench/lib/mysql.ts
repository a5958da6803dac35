import { existsSync, readFileSync } from "node:fs";
import { createConnection, type Connection, type RowDataPacket } from "mysql2/promise";

/** The MariaDB server the bench uses: BENCH_MYSQL_URL, else TEST_MYSQL_URL, else local root. */
export const MYSQL_URL =
  process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? "mariadb://root@127.0.0.1:3306/test";

/** mysql2's options for a mysql:// or mariadb:// URL: host and port or ?socketPath=, user, database. */
export function connectionOptions(url: string) {
  const parsed = new URL(url);
  const socketPath = parsed.searchParams.get("socketPath");
  const database = decodeURIComponent(parsed.pathname.slice(1));
  return {
    ...(socketPath ? { socketPath } : { host: parsed.hostname, port: Number(parsed.port || 3306) }),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    ...(database ? { database } : {}),
  };
}

/** A connection to the bench's MariaDB server, in `database` or in none. */
export function connect(database?: string): Promise<Connection> {
  return createConnection({ ...connectionOptions(databaseUrl(database ?? "")), multipleStatements: false });
}

/** DATABASE_URL for a Keyturn server using `database` on the bench's MariaDB server. */
export function databaseUrl(database: string): string {
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function recreateDatabase(name: string): Promise<void> {
  const admin = await connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = await connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await admin.end();
  }
}

export async function queryOne<T>(sql: string, database?: string): Promise<T> {
  const connection = await connect(database);
  try {
    const [rows] = await connection.query<RowDataPacket[]>(sql);
    return rows[0] as T;
  } finally {
    await connection.end();
  }
}

/** Server-wide SELECT count: the bench's way of counting the queries a scenario sent. */
export async function selectCount(): Promise<number> {
  const row = await queryOne<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Com_select'");
  return Number(row.Value);
}

/**
 * Fills a migrated Keyturn database with `count` more secrets and credentials straight through
 * SQL (MariaDB's sequence engine), in batches: stored rows the bench never presents, there so
 * that lookups run against a table and an index of that size.
 */
export async function addFillerCredentials(
  database: string,
  count: number,
  progress: (done: number) => void,
): Promise<void> {
  const connection = await connect(database);
  const batch = 100_000;
  try {
    for (let from = 1; from <= count; from += batch) {
      const to = Math.min(count, from + batch - 1);
      const range = `FROM seq_${from}_to_${to}`;
      await connection.query("START TRANSACTION");
      await connection.query(
        `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint)
         SELECT CONCAT('filler-', seq), CONCAT('filler-project-', seq % 1000), 'Filler', NOW(3), 'bench',
                CONCAT('ktid_', LEFT(TO_BASE64(UNHEX(MD5(seq))), 22)), 'abcd' ${range}`,
      );
      await connection.query(
        `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at)
         SELECT CONCAT('filler-credential-', seq), CONCAT('filler-', seq), 1,
                CONCAT('ktid_', LEFT(TO_BASE64(UNHEX(MD5(seq))), 22)), SHA2(seq, 256), 'abcd', NOW(3) ${range}`,
      );
      await connection.query("COMMIT");
      progress(to);
    }
  } finally {
    await connection.end();
  }
}

/**
 * The pid of the bench's MySQL/MariaDB server if it runs on this machine: the server names its pid
 * file, and the file is only here (with a live process behind it) when the server is.
 */
export async function localServerPid(): Promise<number | undefined> {
  const { pidFile } = await queryOne<{ pidFile: string | null }>("SELECT @@pid_file AS pidFile");
  try {
    const pid = Number(readFileSync(pidFile ?? "", "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}
