import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { createConnection } from "mysql2/promise";

/** A database a suite may use: its DATABASE_URL and how to throw it away. */
export interface TestDatabase {
  dialect: "sqlite" | "mysql";
  url: string;
  drop(): Promise<void>;
}

export type DatabaseFactory = () => Promise<TestDatabase>;

const MYSQL_URL = process.env.TEST_MYSQL_URL;
let warned = false;

function sqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "keyturn-test-"));
  return Promise.resolve({
    dialect: "sqlite",
    url: `sqlite:${join(dir, "keyturn.sqlite")}`,
    drop: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

/** A fresh, uniquely named database on the TEST_MYSQL_URL server, dropped afterwards. */
async function mysqlDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `keyturn_test_${randomBytes(6).toString("hex")}`;
  const admin = await connect(serverUrl);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    dialect: "mysql",
    url: url.toString(),
    drop: async () => {
      const connection = await connect(serverUrl);
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}

export function connect(serverUrl: string) {
  const url = new URL(serverUrl);
  const socketPath = url.searchParams.get("socketPath");
  return createConnection({
    ...(socketPath ? { socketPath } : { host: url.hostname, port: Number(url.port || 3306) }),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
  });
}

/**
 * Runs a suite once per database: always SQLite, and MariaDB/MySQL when TEST_MYSQL_URL is set.
 * Without it the MySQL runs are skipped, and the run says so loudly. The suite is told which
 * dialect it runs on, for itOnMysql.
 */
export function describeEachDatabase(
  title: string,
  suite: (createDatabase: DatabaseFactory, dialect: TestDatabase["dialect"]) => void,
): void {
  describe(`${title} [sqlite]`, () => {
    suite(sqliteDatabase, "sqlite");
  });
  if (MYSQL_URL) {
    describe(`${title} [mysql]`, () => {
      suite(() => mysqlDatabase(MYSQL_URL), "mysql");
    });
  } else {
    if (!warned) {
      warned = true;
      process.stderr.write(
        "\n\u001b[33m!!! TEST_MYSQL_URL is not set: the MySQL/MariaDB runs of the database suites are SKIPPED. !!!\u001b[0m\n" +
          "    Set TEST_MYSQL_URL=mysql://user:pass@127.0.0.1:3306/test (as .ci/run does) to run them.\n\n",
      );
    }
    describe.skip(`${title} [mysql] (skipped: TEST_MYSQL_URL is not set)`, () => {
      suite(() => Promise.reject(new Error("TEST_MYSQL_URL is not set")), "mysql");
    });
  }
}

/**
 * `it` in a MySQL run, `it.skip` in a SQLite one: for behaviour SQLite does not have (row locks,
 * a connection pool, a socket to the server), so the SQLite run reports the test as skipped
 * rather than passing a test that could not fail there.
 */
export function itOnMysql(dialect: TestDatabase["dialect"]): typeof it | typeof it.skip {
  return dialect === "mysql" ? it : it.skip;
}
