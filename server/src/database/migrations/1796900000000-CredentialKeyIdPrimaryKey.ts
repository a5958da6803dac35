import { TableIndex, type MigrationInterface, type QueryRunner, type Table } from "typeorm";
import { onSqlite } from "./steps";

/**
 * The credential's rows stored in Key ID order: `key_id` becomes the primary key, and `id` keeps
 * its uniqueness through an index of its own (uq_credential_id), in place of the Key ID's.
 *
 * Every uncached verification looks a credential up by its Key ID. With the rows stored by `id`,
 * InnoDB went down the Key ID's index to the row's `id`, then down the table to the row, then down
 * the secret's table: three B-trees. Stored by Key ID, the row is where the first descent ends.
 * With a million credentials whose keys in use lie spread through the tables, MariaDB spent
 * 18.7 µs per lookup against 23.3 µs, and the uncached route ran 1.08× as fast (0.858× against
 * 0.797× a server on a thousand credentials stored by id; 24 interleaved rounds on the bench VM,
 * bench/notes.md, 2026-12-05, eighth session). The price is paid by changes: each new row now
 * lands at a random place in the table, where only its Key ID's index entry did before. On fresh
 * databases creates and rotations measured the same either way; on tables of 500,000 credentials
 * MariaDB spent 372 against 351 µs per create and 515 against 469 µs per rotation. Verification
 * runs on every request of the Analytics API, a change when an admin makes one.
 *
 * Nothing refers to a credential by `id` (no foreign key, and every read goes by Key ID or by
 * secret and generation), so instances of the previous release should keep working through the
 * change (not tested across releases).
 */
const TABLE = "credential";
const ID_INDEX = "uq_credential_id";
const KEY_ID_INDEX = "uq_credential_key_id";

export class CredentialKeyIdPrimaryKey1796900000000 implements MigrationInterface {
  name = "CredentialKeyIdPrimaryKey1796900000000";

  async up(runner: QueryRunner): Promise<void> {
    await rekey(runner, { primary: "key_id", unique: "id", uniqueIndex: ID_INDEX, dropIndex: KEY_ID_INDEX });
  }

  async down(runner: QueryRunner): Promise<void> {
    await rekey(runner, { primary: "id", unique: "key_id", uniqueIndex: KEY_ID_INDEX, dropIndex: ID_INDEX });
  }
}

interface Rekeying {
  /** The column that becomes the primary key. */
  primary: string;
  /** The column that was the primary key, and keeps its uniqueness through `uniqueIndex`. */
  unique: string;
  uniqueIndex: string;
  /** The unique index of `primary`, which the primary key makes redundant. */
  dropIndex: string;
}

async function rekey(runner: QueryRunner, { primary, unique, uniqueIndex, dropIndex }: Rekeying): Promise<void> {
  const table = await credentialTable(runner);
  if (table.primaryColumns.length === 1 && table.primaryColumns[0]?.name === primary) return;
  if (!onSqlite(runner)) {
    // One statement, so one rebuild of the table, and atomic (InnoDB's DDL, MariaDB 10.6+ and
    // MySQL 8): a start that stops finds the table as it was, and the check above reruns it.
    // Online, or not at all: a server that could not rebuild with reads and writes going on
    // refuses rather than lock the table for the rebuild.
    await runner.query(
      `ALTER TABLE \`${TABLE}\` DROP PRIMARY KEY, ADD PRIMARY KEY (\`${primary}\`),
         ADD UNIQUE INDEX \`${uniqueIndex}\` (\`${unique}\`), DROP INDEX \`${dropIndex}\`,
         ALGORITHM = INPLACE, LOCK = NONE`,
    );
    return;
  }
  // SQLite cannot change a primary key in place: TypeORM copies the table into a new one, once to
  // drop the key and once to add the new one (no table refers to the credential's, so dropping the
  // old copy takes nothing with it), inside the migration's transaction. Each step keeps both
  // columns unique.
  await runner.createIndex(TABLE, new TableIndex({ name: uniqueIndex, columnNames: [unique], isUnique: true }));
  const indexed = await credentialTable(runner);
  await runner.dropPrimaryKey(indexed);
  await runner.createPrimaryKey(indexed, [primary]);
  await runner.dropIndex(indexed, dropIndex);
}

async function credentialTable(runner: QueryRunner): Promise<Table> {
  const table = await runner.getTable(TABLE);
  if (!table) throw new Error(`The ${TABLE} table is missing`);
  return table;
}
