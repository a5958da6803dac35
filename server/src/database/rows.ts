import type { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { runStatement } from "./prepared";

// The write path's statements, built once from TypeORM's metadata. `manager.insert` and
// `manager.update` rebuild theirs through the query builder on every call: a create's three
// inserts cost more server CPU that way than its six round trips to MariaDB (docs/performance.md,
// "Mutations"). On MySQL they run as prepared statements (see runStatement). Each value still
// goes through the driver's own conversion (dates, booleans, JSON), so what is stored is what
// `manager.insert` and `manager.update` would store.

interface Statement {
  sql: string;
  columns: ColumnMetadata[];
}

const inserts = new WeakMap<EntityMetadata, Statement>();
// Per entity, per set of changed properties (e.g. "expiresAt,revokedAt").
const updates = new WeakMap<EntityMetadata, Map<string, Statement>>();

/** Inserts one row that gives every column a value (null included). */
export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  row: T,
): Promise<void> {
  const metadata = manager.dataSource.getMetadata(target);
  let statement = inserts.get(metadata);
  if (!statement) {
    const columns = metadata.columns.filter((column) => !column.isVirtual);
    const names = columns.map((column) => quote(manager, column.databaseName)).join(", ");
    const placeholders = columns.map(() => "?").join(", ");
    statement = {
      sql: `INSERT INTO ${quote(manager, metadata.tableName)} (${names}) VALUES (${placeholders})`,
      columns,
    };
    inserts.set(metadata, statement);
  }
  await runStatement(manager, statement.sql, values(manager, metadata, statement.columns, row));
}

/** Sets `changes` on the row whose primary key is `id` (an entity with a single-column key). */
export async function updateRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  id: string,
  changes: Partial<T>,
): Promise<void> {
  const metadata = manager.dataSource.getMetadata(target);
  const properties = Object.keys(changes);
  const key = properties.join(",");
  let byProperties = updates.get(metadata);
  if (!byProperties) updates.set(metadata, (byProperties = new Map<string, Statement>()));
  let statement = byProperties.get(key);
  if (!statement) {
    const [primary, ...more] = metadata.primaryColumns;
    if (!primary || more.length > 0) throw new Error(`updateRow: ${metadata.name} needs a single-column key`);
    const columns = properties.map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`updateRow: ${metadata.name} has no column ${property}`);
      return column;
    });
    const assignments = columns.map((column) => `${quote(manager, column.databaseName)} = ?`).join(", ");
    statement = {
      sql: `UPDATE ${quote(manager, metadata.tableName)} SET ${assignments} WHERE ${quote(manager, primary.databaseName)} = ?`,
      columns,
    };
    byProperties.set(key, statement);
  }
  await runStatement(manager, statement.sql, [...values(manager, metadata, statement.columns, changes), id]);
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
