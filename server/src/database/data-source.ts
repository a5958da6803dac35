import { DataSource } from "typeorm";
import type { DatabaseConfig } from "../config";
import { entities } from "./entities";
import { migrations } from "./migrations";

/** A TypeORM DataSource for MySQL/MariaDB (mysql2) or SQLite (better-sqlite3). The schema comes from migrations only. */
export function createDataSource(config: DatabaseConfig, poolSize = 10): DataSource {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;
  if (config.type === "sqlite") {
    return new DataSource({
      ...common,
      type: "better-sqlite3",
      database: config.path,
      enableWAL: config.path !== ":memory:",
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma("foreign_keys = ON");
      },
    });
  }
  return new DataSource({
    ...common,
    type: config.server,
    host: config.host,
    port: config.port,
    username: config.username,
    password: config.password,
    database: config.database,
    ...(config.socketPath ? { socketPath: config.socketPath } : {}),
    charset: "utf8mb4_unicode_ci",
    // Store and read every DATETIME as UTC, whatever the server's or the process's time zone.
    timezone: "Z",
    poolSize,
    // Callers wait at most Database's acquire timeout; the queue limit is a backstop under floods.
    // mysql2's `trace` (on by default) captures a stack trace on every query to lengthen error
    // stacks: ≈ 4 % of the server's CPU under mutation load, for a debugging aid. Errors keep their
    // code and message, and Database maps them before anything logs them.
    extra: { connectTimeout: 5_000, enableKeepAlive: true, queueLimit: 1_000, trace: false },
  });
}

export type Dialect = "mysql" | "sqlite";

/** Which of the two databases a data source talks to: SQLite is embedded, anything else is MySQL. */
export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === "better-sqlite3" ? "sqlite" : "mysql";
}
