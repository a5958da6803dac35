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
 * that lookups run against tables and an index of that size.
 *
 * The filler's row ids are UUIDv7s from the same milliseconds as the secrets already there (the
 * sample the bench presents, made through GraphQL), so in every table's primary-key order the
 * sample lies spread among the filler, one row in about `count / sample` — as the keys in use lie
 * among a deployment's older and newer ones. Ids that sorted after the sample's kept its rows on a
 * few pages of each table, which MariaDB's default 128 MB buffer pool held: the uncached 1 M
 * lookups then ran at 0.82× the 1 k ones, where with the sample spread they ran at 0.36×, reading
 * a page from disk for most lookups (bench/notes.md, 2026-12-05, eighth session).
 */
export async function addFillerCredentials(
  database: string,
  count: number,
  progress: (done: number) => void,
): Promise<void> {
  const connection = await connect(database);
  const batch = 100_000;
  try {
    const [[sample]] = await connection.query<RowDataPacket[]>(
      "SELECT MIN(id) AS first, MAX(id) AS last FROM api_secret",
    );
    const window = sampleWindow(sample?.first as string | null, sample?.last as string | null);
    for (let from = 1; from <= count; from += batch) {
      const to = Math.min(count, from + batch - 1);
      const range = `FROM seq_${from}_to_${to}`;
      await connection.query("START TRANSACTION");
      await connection.query(
        `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint)
         SELECT ${fillerRowIdSql(window, "secret")}, CONCAT('filler-project-', seq % 1000), 'Filler', NOW(3), 'bench',
                CONCAT('ktid_', LEFT(TO_BASE64(UNHEX(MD5(seq))), 22)), 'abcd' ${range}`,
      );
      await connection.query(
        `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at)
         SELECT ${fillerRowIdSql(window, "credential")}, ${fillerRowIdSql(window, "secret")}, 1,
                CONCAT('ktid_', LEFT(TO_BASE64(UNHEX(MD5(seq))), 22)), SHA2(seq, 256), 'abcd', NOW(3) ${range}`,
      );
      await connection.query("COMMIT");
      progress(to);
    }
  } finally {
    await connection.end();
  }
}

/** The milliseconds of the first and the last of the sample's UUIDv7 ids (their leading 48 bits). */
export function sampleWindow(first: string | null, last: string | null): { fromMs: number; spanMs: number } {
  const ms = (id: string | null) => {
    const hex = (id ?? "").replace(/-/g, "").slice(0, 12);
    if (!/^[0-9a-f]{12}$/.test(hex)) throw new Error(`the sample's ids are not UUIDv7s: ${id ?? "none"}`);
    return parseInt(hex, 16);
  };
  const fromMs = ms(first);
  return { fromMs, spanMs: ms(last) - fromMs + 1 };
}

/**
 * SQL for a filler row's UUIDv7 from the sequence's `seq`: a millisecond of the sample's window
 * (stepping by a prime, so consecutive rows land all over it), then random bits from MD5 — of
 * `seq` and the table's name, so a secret's id is the same wherever it is written.
 */
export function fillerRowIdSql({ fromMs, spanMs }: { fromMs: number; spanMs: number }, table: string): string {
  const time = `LPAD(LOWER(HEX(${fromMs} + (seq * 7919) % ${spanMs})), 12, '0')`;
  const random = `MD5(CONCAT('${table}-', seq))`;
  return `CONCAT(LEFT(${time}, 8), '-', RIGHT(${time}, 4), '-7', SUBSTR(${random}, 1, 3), '-8',
    SUBSTR(${random}, 4, 3), '-', SUBSTR(${random}, 7, 12))`;
}

/**
 * Raises the InnoDB buffer pool of the bench's MariaDB server to at least `bytes` for the run, as
 * a deployment holding a million credentials would size it (README, "MySQL / MariaDB"), and
 * returns the size it had, to put back; undefined if it was large enough already. The pool
 * resizes online; MariaDB 10.11 answers once it is done, and the status is polled in case a
 * server answers first.
 */
export async function raiseBufferPool(bytes: number): Promise<number | undefined> {
  const before = await bufferPoolBytes();
  if (before >= bytes) return undefined;
  await setBufferPool(bytes);
  return before;
}

export async function setBufferPool(bytes: number): Promise<void> {
  const admin = await connect();
  try {
    await admin.query("SET GLOBAL innodb_buffer_pool_size = ?", [bytes]);
    for (let waited = 0; ; waited += 100) {
      const [[status]] = await admin.query<RowDataPacket[]>(
        "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'",
      );
      if (!/resiz/i.test(String(status?.Value ?? "")) || /complete/i.test(String(status?.Value))) break;
      if (waited > 120_000) throw new Error(`MariaDB's buffer pool is still resizing: ${String(status?.Value)}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  } finally {
    await admin.end();
  }
}

/**
 * Writes back the pages the filler left dirty before anything is measured, and returns how many
 * there were. With a pool large enough to keep them, MariaDB's page cleaner wrote them back at its
 * default pace (innodb_io_capacity 200: ≈ 300 pages a second here) through the first round, which
 * ran at about half the second's speed, the bare server's included (bench/notes.md, 2026-12-05,
 * eighth session). At innodb_io_capacity_max the same pages take seconds; both settings are put
 * back.
 */
export async function flushDirtyPages(
  progress: (dirty: number) => void = () => undefined,
  timeoutMs = 300_000,
): Promise<{ dirty: number; left: number }> {
  const admin = await connect();
  const dirtyPages = async () => {
    const [[status]] = await admin.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'");
    return Number(status?.Value ?? 0);
  };
  try {
    const dirty = await dirtyPages();
    const [[settings]] = await admin.query<RowDataPacket[]>(
      "SELECT @@innodb_io_capacity AS io, @@innodb_max_dirty_pages_pct AS pct",
    );
    await admin.query(
      "SET GLOBAL innodb_io_capacity = @@innodb_io_capacity_max, GLOBAL innodb_max_dirty_pages_pct = 0",
    );
    try {
      // A few pages stay dirty while anything writes (the servers' last-used times): near zero is done.
      let left = dirty;
      const started = Date.now();
      for (let reported = started; left > 100 && Date.now() - started < timeoutMs; left = await dirtyPages()) {
        await new Promise((done) => setTimeout(done, 250));
        if (Date.now() - reported >= 5_000) {
          progress(left);
          reported = Date.now();
        }
      }
      return { dirty, left };
    } finally {
      await admin.query("SET GLOBAL innodb_max_dirty_pages_pct = ?, GLOBAL innodb_io_capacity = ?", [
        Number(settings?.pct),
        Number(settings?.io),
      ]);
    }
  } finally {
    await admin.end();
  }
}

export async function bufferPoolBytes(): Promise<number> {
  const { size } = await queryOne<{ size: number | string }>("SELECT @@innodb_buffer_pool_size AS size");
  return Number(size);
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
