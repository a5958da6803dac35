import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { dialectOf } from "./data-source";
import { runStatement } from "./prepared";

// The change path's statements, built once from TypeORM's metadata. `manager.insert`,
// `manager.update` and the query builder rebuild theirs on every call: a create's three inserts
// cost more server CPU that way than its six round trips to MariaDB, and a rotation's two locking
// reads took ≈ 14 % of its server CPU (bench/notes.md: the mutations' history under 2026-12-02, and
// that day's seventh session). On MySQL they run as prepared statements (see runStatement). Each
// value still goes through the driver's own conversion (dates, booleans, JSON) both ways, so what is
// stored and read back is what TypeORM's own methods would store and read.

interface Statement {
  sql: string;
  /** The columns whose values fill the placeholders, in order. */
  columns: ColumnMetadata[];
}

interface SelectStatement extends Statement {
  /** The columns the statement reads, in order. */
  read: ColumnMetadata[];
}

// Per entity, per kind and shape: "insert", "update rotatedAt,currentKeyId", "select <query>".
const statements = new WeakMap<EntityMetadata, Map<string, Statement>>();

function statementFor<S extends Statement>(metadata: EntityMetadata, key: string, build: () => S): S {
  let byKey = statements.get(metadata);
  if (!byKey) statements.set(metadata, (byKey = new Map<string, Statement>()));
  let statement = byKey.get(key) as S | undefined;
  if (!statement) {
    statement = build();
    byKey.set(key, statement);
  }
  return statement;
}

/** The columns a row stores (a relation's join column is declared as a column of its own). */
function storedColumns(metadata: EntityMetadata): ColumnMetadata[] {
  return metadata.columns.filter((column) => !column.isVirtual);
}

/** Inserts one row that gives every column a value (null included). */
export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  row: T,
): Promise<void> {
  const metadata = manager.dataSource.getMetadata(target);
  const statement = statementFor(metadata, "insert", () => {
    const columns = storedColumns(metadata);
    const names = columns.map((column) => quote(manager, column.databaseName)).join(", ");
    const placeholders = columns.map(() => "?").join(", ");
    return { sql: `INSERT INTO ${quote(manager, metadata.tableName)} (${names}) VALUES (${placeholders})`, columns };
  });
  await runStatement(manager, statement.sql, values(manager, metadata, statement.columns, row));
}

/**
 * Sets `changes` on the row whose primary key is `primaryKey` (an entity with a single-column
 * key: a credential's is its Key ID, not its `id`).
 */
export async function updateRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  primaryKey: string,
  changes: Partial<T>,
): Promise<void> {
  const metadata = manager.dataSource.getMetadata(target);
  const properties = Object.keys(changes);
  const statement = statementFor(metadata, `update ${properties.join(",")}`, () => {
    const [primary, ...more] = metadata.primaryColumns;
    if (!primary || more.length > 0) throw new Error(`updateRow: ${metadata.name} needs a single-column key`);
    const columns = properties.map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`updateRow: ${metadata.name} has no column ${property}`);
      return column;
    });
    const assignments = columns.map((column) => `${quote(manager, column.databaseName)} = ?`).join(", ");
    return {
      sql: `UPDATE ${quote(manager, metadata.tableName)} SET ${assignments} WHERE ${quote(manager, primary.databaseName)} = ?`,
      columns,
    };
  });
  await runStatement(manager, statement.sql, [...values(manager, metadata, statement.columns, changes), primaryKey]);
}

export interface RowQuery {
  /**
   * The condition, in column names, with `:property` placeholders (repeatable) whose values are
   * converted as that property's column stores them. A constant: each distinct one is kept.
   */
  where: string;
  /** Lock the rows for the transaction (MySQL: FOR UPDATE; SQLite's transactions are serialised already). */
  forUpdate?: boolean;
}

/** The rows of `target` that match `query`, as entities with every column set. */
export async function selectRows<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  query: RowQuery,
  params: Partial<T>,
): Promise<T[]> {
  const metadata = manager.dataSource.getMetadata(target);
  const key = `select ${query.where}|${query.forUpdate === true}`;
  const statement = statementFor<SelectStatement>(metadata, key, () => {
    const mysql = dialectOf(manager.dataSource) === "mysql";
    const columns: ColumnMetadata[] = [];
    const where = query.where.replace(/:(\w+)/g, (_match, property: string) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`selectRows: ${metadata.name} has no column ${property}`);
      columns.push(column);
      return "?";
    });
    const read = storedColumns(metadata);
    const names = read.map((column) => quote(manager, column.databaseName)).join(", ");
    const lock = mysql && query.forUpdate ? " FOR UPDATE" : "";
    return {
      sql: `SELECT ${names} FROM ${quote(manager, metadata.tableName)} WHERE ${where}${lock}`,
      columns,
      read,
    };
  });
  const rows = await runStatement<Array<Record<string, unknown>>>(
    manager,
    statement.sql,
    values(manager, metadata, statement.columns, params),
  );
  return hydrate(manager, metadata, statement.read, rows);
}

/** Rows of `target` read elsewhere (a stored procedure's result set), as entities with every column set. */
export function hydrateRows<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: ReadonlyArray<Record<string, unknown>>,
): T[] {
  const metadata = manager.dataSource.getMetadata(target);
  return hydrate(manager, metadata, storedColumns(metadata), rows);
}

function hydrate<T>(
  manager: EntityManager,
  metadata: EntityMetadata,
  read: ColumnMetadata[],
  rows: ReadonlyArray<Record<string, unknown>>,
): T[] {
  const { driver } = manager.dataSource;
  return rows.map((row) => {
    const entity = metadata.create() as T;
    for (const column of read) {
      column.setEntityValue(entity as ObjectLiteral, driver.prepareHydratedValue(row[column.databaseName], column));
    }
    return entity;
  });
}

function values(
  manager: EntityManager,
  metadata: EntityMetadata,
  columns: ColumnMetadata[],
  row: ObjectLiteral,
): unknown[] {
  const { driver } = manager.dataSource;
  return columns.map((column) => {
    const value: unknown = column.getEntityValue(row);
    if (value === undefined) throw new Error(`${metadata.name}.${column.propertyName} has no value`);
    return driver.preparePersistentValue(value, column) as unknown;
  });
}

function quote(manager: EntityManager, name: string): string {
  return manager.dataSource.driver.escape(name);
}
