import { TableColumn, type QueryRunner } from "typeorm";

// Steps the migrations share. Each migration keeps its own SQL; only these mechanics are common.

export const onSqlite = (runner: QueryRunner) => runner.dataSource.options.type === "better-sqlite3";

/** SQL for the time now, as each database stores a datetime (TypeORM keeps SQLite's as UTC text). */
export const utcNowSql = (runner: QueryRunner) =>
  onSqlite(runner) ? "strftime('%Y-%m-%d %H:%M:%f', 'now')" : "UTC_TIMESTAMP(3)";

export const timeColumn = (name: string) => new TableColumn({ name, type: "datetime", precision: 3, isNullable: true });

/**
 * SQLite alters the table in place, as it can for a nullable column that no index or key names.
 * TypeORM would copy the table into a new one and drop the old; a dropped api_secret would take
 * every credential with it (ON DELETE CASCADE) where TypeORM's switch for foreign keys has no
 * effect, as inside the transaction of undoLastMigration.
 */
export async function addColumn(runner: QueryRunner, table: string, column: TableColumn): Promise<void> {
  if (!onSqlite(runner)) return runner.addColumn(table, column);
  const type = column.type === "datetime" ? "datetime(3)" : `${column.type}(${column.length})`;
  await runner.query(`ALTER TABLE "${table}" ADD COLUMN "${column.name}" ${type}`);
}

export async function dropColumn(runner: QueryRunner, table: string, column: string): Promise<void> {
  if (!onSqlite(runner)) return runner.dropColumn(table, column);
  await runner.query(`ALTER TABLE "${table}" DROP COLUMN "${column}"`);
}

/** A procedure's text up to its body: `CREATE PROCEDURE name(…parameters…)`. */
export function headerOf(procedure: string): string {
  const body = procedure.indexOf("\nBEGIN\n");
  if (body < 0) throw new Error("headerOf: the procedure has no body");
  return procedure.slice(0, body);
}

/** `text` with `from`, which must occur exactly once, replaced: how a procedure's next version is made. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error("replaceOnce: the text to replace is not there once");
  return text.slice(0, at) + to + text.slice(at + from.length);
}
