import { TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";

/**
 * Every rotation and revocation reads its secret's live credentials with a locking read, and the
 * list shows them. Through the (secret_id, generation) index that read visited — and on MySQL
 * locked — every credential the secret ever had, so each change cost more than the one before
 * (bench/notes.md). Through this one it visits the live ones only: `revoked_at IS NULL`, then
 * `expires_at IS NULL OR expires_at > now` as two ranges.
 */
const INDEX = "idx_credential_live";

export class IndexLiveCredentials1796220900000 implements MigrationInterface {
  name = "IndexLiveCredentials1796220900000";

  async up(runner: QueryRunner): Promise<void> {
    // MySQL commits DDL at once: a start that stopped between the index and the migration's record
    // would otherwise fail here on the next one ("Duplicate key name").
    const table = await runner.getTable("credential");
    if (table?.indices.some((index) => index.name === INDEX)) return;
    await runner.createIndex(
      "credential",
      new TableIndex({ name: INDEX, columnNames: ["secret_id", "revoked_at", "expires_at"] }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.dropIndex("credential", INDEX);
  }
}
