import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";
import type { TableColumnOptions } from "typeorm/schema-builder/options/TableColumnOptions";
import { onSqlite } from "./steps";

/**
 * Identifiers (UUIDs, project ids, Key IDs) are ASCII and compared byte for byte: base62 Key IDs
 * differ only in case, which MySQL's default case-insensitive collation would treat as equal.
 * SQLite compares bytes by default and knows no MySQL collations.
 */
type TextOptions = Omit<TableColumnOptions, "type"> & { type?: "varchar" | "text" };

export function identifier(runner: QueryRunner, options: Omit<TableColumnOptions, "type">): TableColumnOptions {
  const mysql = !onSqlite(runner);
  return { ...options, type: "varchar", ...(mysql ? { charset: "ascii", collation: "ascii_bin" } : {}) };
}

/** Human text (names, user agents, JSON details) is utf8mb4 whatever the database's default charset. */
function text(runner: QueryRunner, { type = "varchar", ...options }: TextOptions): TableColumnOptions {
  const mysql = !onSqlite(runner);
  return { ...options, type, ...(mysql ? { charset: "utf8mb4", collation: "utf8mb4_unicode_ci" } : {}) };
}

const timestamp = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: "datetime",
  precision: 3,
  isNullable,
});

export class CreateSecretTables1795823133281 implements MigrationInterface {
  name = "CreateSecretTables1795823133281";

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: "project",
        columns: [
          identifier(runner, { name: "id", length: "128", isPrimary: true }),
          { name: "active_secret_count", type: "integer", default: 0 },
          { name: "created_secret_count", type: "integer", default: 0 },
        ],
      }),
    );

    await runner.createTable(
      new Table({
        name: "api_secret",
        columns: [
          identifier(runner, { name: "id", length: "36", isPrimary: true }),
          identifier(runner, { name: "project_id", length: "128" }),
          text(runner, { name: "name", length: "100" }),
          timestamp("created_at"),
          text(runner, { name: "created_by", length: "255" }),
          timestamp("rotated_at", true),
          timestamp("revoked_at", true),
          text(runner, { name: "revoked_by", length: "255", isNullable: true }),
          identifier(runner, { name: "current_key_id", length: "64" }),
          text(runner, { name: "secret_hint", length: "64" }),
          timestamp("last_used_at", true),
        ],
        indices: [
          new TableIndex({ name: "idx_api_secret_project_created", columnNames: ["project_id", "created_at"] }),
        ],
      }),
    );

    await runner.createTable(
      new Table({
        name: "credential",
        columns: [
          identifier(runner, { name: "id", length: "36", isPrimary: true }),
          identifier(runner, { name: "secret_id", length: "36" }),
          { name: "generation", type: "integer" },
          identifier(runner, { name: "key_id", length: "64" }),
          identifier(runner, { name: "secret_hash", length: "64" }),
          text(runner, { name: "hint", length: "64" }),
          timestamp("created_at"),
          timestamp("expires_at", true),
          timestamp("revoked_at", true),
          timestamp("last_used_at", true),
        ],
        indices: [
          new TableIndex({ name: "uq_credential_key_id", columnNames: ["key_id"], isUnique: true }),
          new TableIndex({
            name: "uq_credential_secret_generation",
            columnNames: ["secret_id", "generation"],
            isUnique: true,
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: "fk_credential_secret",
            columnNames: ["secret_id"],
            referencedTableName: "api_secret",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
            onUpdate: "NO ACTION",
          }),
        ],
      }),
    );

    await runner.createTable(
      new Table({
        name: "audit_event",
        columns: [
          identifier(runner, { name: "id", length: "36", isPrimary: true }),
          identifier(runner, { name: "project_id", length: "128" }),
          identifier(runner, { name: "secret_id", length: "36" }),
          identifier(runner, { name: "action", length: "32" }),
          text(runner, { name: "actor", length: "255" }),
          identifier(runner, { name: "ip", length: "45", isNullable: true }),
          text(runner, { name: "user_agent", length: "512", isNullable: true }),
          timestamp("occurred_at"),
          text(runner, { name: "details", type: "text" }),
        ],
        indices: [
          new TableIndex({ name: "idx_audit_event_project_time", columnNames: ["project_id", "occurred_at"] }),
          new TableIndex({ name: "idx_audit_event_secret", columnNames: ["secret_id"] }),
        ],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropTable("audit_event");
    await runner.dropTable("credential");
    await runner.dropTable("api_secret");
    await runner.dropTable("project");
  }
}
