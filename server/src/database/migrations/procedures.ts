import type { QueryRunner } from "typeorm";
import { onSqlite } from "./steps";

// Stored procedures exist on MySQL/MariaDB only: SQLite runs the same steps in the service.

/** Creates `name` from `create` (its CREATE PROCEDURE statement); nothing on SQLite. */
export async function createProcedure(runner: QueryRunner, name: string, create: string): Promise<void> {
  if (onSqlite(runner)) return;
  // MySQL commits DDL at once: a start that stopped before the migration's record is safe to rerun.
  await runner.query(`DROP PROCEDURE IF EXISTS ${name}`);
  await runner.query(create);
}

export async function dropProcedure(runner: QueryRunner, name: string): Promise<void> {
  if (onSqlite(runner)) return;
  await runner.query(`DROP PROCEDURE IF EXISTS ${name}`);
}
