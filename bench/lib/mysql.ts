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

/** One of the server's status counters (`SHOW GLOBAL STATUS`), as a number. */
export async function globalStatus(name: string): Promise<number> {
  const row = await queryOne<{ Value: string } | undefined>(`SHOW GLOBAL STATUS LIKE '${variableName(name)}'`);
  if (!row) throw new Error(`MariaDB has no status ${name}`);
  return Number(row.Value);
}

/** One of the server's global settings (`@@GLOBAL.name`), as a number. */
export async function globalVariable(name: string): Promise<number> {
  const { value } = await queryOne<{ value: number | string }>(`SELECT @@GLOBAL.${variableName(name)} AS value`);
  return Number(value);
}

function variableName(name: string): string {
  if (!/^[A-Za-z_]+$/.test(name)) throw new Error(`not a variable's name: ${name}`);
  return name;
}

/** Server-wide SELECT count: the bench's way of counting the queries a scenario sent. */
export function selectCount(): Promise<number> {
  return globalStatus("Com_select");
}

/**
 * Fills a migrated Keyturn database with `count` more secrets and credentials straight through
 * SQL (MariaDB's sequence engine), in batches: stored rows the bench never presents, there so
 * that lookups run against tables and an index of that size.
 *
 * The filler's row ids are UUIDv7s from the milliseconds the secrets already there (the sample
 * the bench presents, made through GraphQL) were created in, in ascending order, so in the
 * secrets' primary-key order the sample lies spread among the filler, one row in about
 * `count / sample`, as the keys in use lie among a deployment's older and newer ones (if they are
 * not all about as old). The credentials are stored by Key ID, random for the filler as for the
 * sample. Ids that sorted after the sample's kept its rows on a few pages of each table, which
 * MariaDB's default 128 MB buffer pool held: the uncached 1 M lookups then ran at 0.875× the 1 k
 * ones, where with the sample spread they ran at 0.43×, reading from disk for most lookups
 * (bench/notes.md, 2026-12-05, eighth session).
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
      const filler = `(SELECT seq, ${fillerRowIdSql(window, count, "secret")} AS secret_id,
          ${fillerRowIdSql(window, count, "credential")} AS credential_id,
          CONCAT('ktid_', LEFT(TO_BASE64(UNHEX(MD5(seq))), 22)) AS key_id
        FROM seq_${from}_to_${to}) AS filler`;
      await connection.query("START TRANSACTION");
      await connection.query(
        `INSERT INTO api_secret (id, project_id, name, created_at, created_by, current_key_id, secret_hint)
         SELECT secret_id, CONCAT('filler-project-', seq % 1000), 'Filler', NOW(3), 'bench', key_id, 'abcd'
         FROM ${filler}`,
      );
      await connection.query(
        `INSERT INTO credential (id, secret_id, project_id, generation, key_id, secret_hash, hint, created_at)
         SELECT credential_id, secret_id, CONCAT('filler-project-', seq % 1000), 1, key_id, SHA2(seq, 256), 'abcd',
           NOW(3) FROM ${filler}`,
      );
      await connection.query("COMMIT");
      progress(to);
    }
  } finally {
    await connection.end();
  }
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The milliseconds of the first and the last of the sample's UUIDv7 ids (their leading 48 bits). */
export function sampleWindow(first: string | null, last: string | null): { fromMs: number; spanMs: number } {
  const ms = (id: string | null) => {
    if (!UUID_V7.test(id ?? "")) throw new Error(`the sample's ids are not UUIDv7s: ${id ?? "none"}`);
    return parseInt((id ?? "").replace(/-/g, "").slice(0, 12), 16);
  };
  const fromMs = ms(first);
  return { fromMs, spanMs: ms(last) - fromMs + 1 };
}

/**
 * SQL for the UUIDv7 of the sequence's row `seq` (1 to `count`): its millisecond in the sample's
 * window, rising with `seq` so that the rows are appended as a deployment's are, then random bits
 * from MD5 of `seq` and `salt`.
 */
export function fillerRowIdSql(
  { fromMs, spanMs }: { fromMs: number; spanMs: number },
  count: number,
  salt: string,
): string {
  const time = `LPAD(LOWER(HEX(${fromMs} + FLOOR((seq - 1) * ${spanMs} / ${count}))), 12, '0')`;
  const random = `MD5(CONCAT('${salt}-', seq))`;
  return `CONCAT(LEFT(${time}, 8), '-', RIGHT(${time}, 4), '-7', SUBSTR(${random}, 1, 3), '-8',
    SUBSTR(${random}, 4, 3), '-', SUBSTR(${random}, 7, 12))`;
}

/**
 * Server-wide settings the bench changes for a while and puts back. Each is recorded before it is
 * changed, so `restore()` (from the run's `finally` and its signal handlers) puts back whatever was
 * changed, even after an error part-way. A server that refuses (a user without SUPER or
 * SYSTEM_VARIABLES_ADMIN, a managed server) keeps its setting: `raise` answers false, and the
 * run goes on without it.
 */
export class GlobalSettings {
  private readonly saved = new Map<string, number>();

  /** Sets `name` to `value` ("max": its `_max` variable's value) if it is below it; false if refused. */
  async raise(name: string, value: number | "max"): Promise<boolean> {
    const before = await globalVariable(name);
    const target = value === "max" ? await globalVariable(`${name}_max`) : value;
    if (before >= target) return true;
    return this.set(name, target, before);
  }

  /** Sets `name` to `value` if it is above it; false if refused. */
  async lower(name: string, value: number): Promise<boolean> {
    const before = await globalVariable(name);
    return before <= value ? true : this.set(name, value, before);
  }

  /** Puts back every setting changed (or only `names`), each on a connection of its own. */
  async restore(names?: string[]): Promise<void> {
    for (const [name, value] of [...this.saved].reverse()) {
      if (names && !names.includes(name)) continue;
      await setGlobal(name, value);
      this.saved.delete(name);
    }
  }

  private async set(name: string, value: number, before: number): Promise<boolean> {
    // Only the first value seen is the server's own: a later change keeps it to put back.
    const first = !this.saved.has(name);
    if (first) this.saved.set(name, before);
    try {
      await setGlobal(name, value);
      return true;
    } catch (error) {
      // ER_SPECIFIC_ACCESS_DENIED_ERROR: the user may not change server-wide settings.
      if ((error as { errno?: number }).errno !== 1227) throw error;
      if (first) this.saved.delete(name);
      return false;
    }
  }
}

async function setGlobal(name: string, value: number): Promise<void> {
  const admin = await connect();
  try {
    await admin.query(`SET GLOBAL ${variableName(name)} = ?`, [value]);
  } finally {
    await admin.end();
  }
  if (name === "innodb_buffer_pool_size") await poolResized(value);
}

/**
 * Waits until the buffer pool holds about `bytes` of pages. It resizes online: MariaDB 10.11.19
 * answers the SET once it is done, and its pages are counted in case a server answers first.
 */
async function poolResized(bytes: number): Promise<void> {
  const pageBytes = await globalVariable("innodb_page_size");
  for (const started = Date.now(); ; await new Promise((done) => setTimeout(done, 100))) {
    // A pool of 1 GiB counts 99 % of it in pages; the rest is the pool's own bookkeeping.
    const pooled = (await globalStatus("Innodb_buffer_pool_pages_total")) * pageBytes;
    if (Math.abs(pooled - bytes) <= bytes * 0.05) return;
    if (Date.now() - started > 120_000) throw new Error(`MariaDB's buffer pool is still resizing to ${bytes} bytes`);
  }
}

export function bufferPoolBytes(): Promise<number> {
  return globalVariable("innodb_buffer_pool_size");
}

const DIRTY_PAGE_SETTINGS = ["innodb_io_capacity", "innodb_max_dirty_pages_pct"];

/**
 * Writes back the pages the filler left dirty before anything is measured: with a pool large
 * enough to keep them, MariaDB's page cleaner wrote them back at its default pace
 * (innodb_io_capacity 200: a few hundred pages a second in a scratch fill) through the first
 * round, which ran at about half the second's speed, the bare server's included (bench/notes.md,
 * 2026-12-05, eighth session). At innodb_io_capacity_max and innodb_max_dirty_pages_pct 0, the
 * 1 M fill's 21,500–33,700 pages took 25–36 s in that session's runs and 5–7 s in the ninth's.
 * Answers how many pages were dirty, how many still are, and whether MariaDB let the settings
 * change; `progress` hears the count every `everyMs`.
 */
export async function flushDirtyPages(
  settings: GlobalSettings,
  { progress = () => undefined, everyMs = 5_000, timeoutMs = 300_000 }: FlushOptions = {},
): Promise<{ dirty: number; left: number; hastened: boolean }> {
  const dirtyPages = () => globalStatus("Innodb_buffer_pool_pages_dirty");
  const dirty = await dirtyPages();
  try {
    const hastened =
      (await settings.raise("innodb_io_capacity", "max")) && (await settings.lower("innodb_max_dirty_pages_pct", 0));
    // A few pages stay dirty while anything writes (the servers' last-used times): near zero is done.
    let left = dirty;
    const started = Date.now();
    for (let reported = started; left > 100 && Date.now() - started < timeoutMs; left = await dirtyPages()) {
      await new Promise((done) => setTimeout(done, 250));
      if (Date.now() - reported >= everyMs) {
        progress(left);
        reported = Date.now();
      }
    }
    return { dirty, left, hastened };
  } finally {
    await settings.restore(DIRTY_PAGE_SETTINGS);
  }
}

export interface FlushOptions {
  progress?: (dirty: number) => void;
  everyMs?: number;
  timeoutMs?: number;
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
