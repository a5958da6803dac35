import type { MigrationInterface, QueryRunner } from "typeorm";
import { dropColumn, onSqlite } from "./steps";

/**
 * Closes the upgrade hazard of 1797000000000 on MySQL. An instance of an earlier release revokes a
 * secret by writing its row alone. Since that migration, verification reads the credentials' own
 * rows, so during a rolling upgrade a secret revoked through an old instance would keep verifying
 * on the new ones.
 *
 * `api_secret.credentials_revoked` says that a revocation was also written on the secret's
 * credential rows, and a CHECK constraint refuses a revoked secret without it. This release's
 * revocation sets it in the same UPDATE as `revoked_at`, inside the transaction that revokes the
 * credentials. An old instance's revocation never sets it, so MySQL refuses that UPDATE, and the
 * old instance's whole transaction fails. The administrator sees an error, not a revocation that
 * silently does not hold; until the old instances are replaced, revoke through a new one. (An
 * instance of the build with 1797000000000 but not this migration writes the credentials' rows,
 * and is refused all the same.) A trigger would have fixed the old instance's write instead, but
 * creating one on a server that keeps a binary log needs SUPER or `log_bin_trust_function_creators`,
 * which managed servers often refuse. A CHECK constraint needs neither.
 *
 * Before the constraint, the credentials of every secret already revoked are revoked on their
 * rows too: that repairs whatever an old instance revoked since 1797000000000.
 *
 * SQLite gets the column but no constraint. The embedded database belongs to one process, so no
 * older instance can write to it while this one runs.
 */
const CONSTRAINT = "chk_api_secret_revocation_on_credentials";

export class RevocationOnCredentials1797100000000 implements MigrationInterface {
  name = "RevocationOnCredentials1797100000000";

  async up(runner: QueryRunner): Promise<void> {
    // MySQL commits DDL at once: each step checks before it runs or repeats harmlessly, so a start
    // that stopped part-way runs it all again.
    const table = await runner.getTable("api_secret");
    if (!table?.findColumnByName("credentials_revoked")) {
      await runner.query(
        onSqlite(runner)
          ? `ALTER TABLE "api_secret" ADD COLUMN "credentials_revoked" boolean NOT NULL DEFAULT (0)`
          : "ALTER TABLE `api_secret` ADD COLUMN `credentials_revoked` TINYINT NOT NULL DEFAULT 0",
      );
    }
    await runner.query(
      onSqlite(runner)
        ? `UPDATE credential SET revoked_at = (SELECT s.revoked_at FROM api_secret s WHERE s.id = credential.secret_id)
           WHERE revoked_at IS NULL
             AND secret_id IN (SELECT id FROM api_secret WHERE revoked_at IS NOT NULL AND credentials_revoked = 0)`
        : // From the revoked secrets to their credentials by (secret_id, generation): MariaDB before
          // 11.1 would run the form above as a scan of every credential.
          `UPDATE api_secret s JOIN credential c ON c.secret_id = s.id SET c.revoked_at = s.revoked_at
           WHERE s.revoked_at IS NOT NULL AND s.credentials_revoked = 0 AND c.revoked_at IS NULL`,
    );
    // Only a secret none of whose credentials is live: one that an instance of an earlier release
    // revoked since the repair stays unmarked, the constraint then fails, and with it this start.
    // The next start repairs that secret too. Once the constraint is in, no such revocation commits.
    await runner.query(
      `UPDATE api_secret SET credentials_revoked = 1
       WHERE revoked_at IS NOT NULL AND credentials_revoked = 0
         AND NOT EXISTS (SELECT 1 FROM credential c WHERE c.secret_id = api_secret.id AND c.revoked_at IS NULL)`,
    );
    if (!onSqlite(runner) && !(await hasConstraint(runner))) {
      // MySQL and MariaDB both copy the table to add it, writes to api_secret waiting meanwhile
      // (verification does not read it).
      await runner.query(
        `ALTER TABLE \`api_secret\` ADD CONSTRAINT \`${CONSTRAINT}\`
           CHECK (revoked_at IS NULL OR credentials_revoked = 1)`,
      );
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    // The constraint first: it names the column. DROP CONSTRAINT: MariaDB, and MySQL from 8.0.19.
    if (!onSqlite(runner) && (await hasConstraint(runner))) {
      await runner.query(`ALTER TABLE \`api_secret\` DROP CONSTRAINT \`${CONSTRAINT}\``);
    }
    const table = await runner.getTable("api_secret");
    if (table?.findColumnByName("credentials_revoked")) await dropColumn(runner, "api_secret", "credentials_revoked");
  }
}

async function hasConstraint(runner: QueryRunner): Promise<boolean> {
  const rows = (await runner.query(
    `SELECT 1 FROM information_schema.TABLE_CONSTRAINTS
     WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'api_secret' AND CONSTRAINT_NAME = ?`,
    [CONSTRAINT],
  )) as unknown[];
  return rows.length > 0;
}
