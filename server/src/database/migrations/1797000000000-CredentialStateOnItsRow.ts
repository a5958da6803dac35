import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { identifier } from "./1795823133281-CreateSecretTables";
import { CREATE_CREATE_SECRET_V2, CREATE_ROTATE_SECRET_V5 } from "./1796800000000-LiveCredentialsOnSecret";
import { createProcedure } from "./procedures";
import { addColumn, dropColumn, onSqlite, replaceOnce, timeColumn, utcNowSql } from "./steps";

/**
 * What verification needs of a credential kept on the credential's own row: its secret's project
 * (`project_id`, which never changes), when it stops (`expires_at`: the previous credential's grace
 * period) and whether it has been ended (`revoked_at`). An uncached verification then reads one
 * row of one table, where it read the credential and then its secret's row.
 *
 * The secret's row still names its live credentials (current Key ID, previous Key ID and when it
 * expires): it is what a change locks and what the list reads. Every change now also writes the
 * rows of the credentials it ends: a rotation gives the replaced credential its end (its expiry,
 * or revoked at once without a grace period) and revokes the one that was previous; a revocation
 * revokes the secret's current and previous ones. So every credential its secret does not name
 * is revoked on its row, and "at most two live credentials" holds by the changes' writes, which
 * the service's and the procedures' tests check, no longer by construction.
 *
 * Measured on the bench VM (bench/notes.md, 2026-12-05, ninth session): MariaDB's CPU per
 * uncached lookup, 8 Key IDs per statement, 18.1 against 25.9 µs on a thousand credentials and
 * 22.7 against 34.8 µs on a million (the keys in use spread through the tables). The price: a
 * rotation's transaction with the extra UPDATE cost MariaDB 625 against 485 µs on a million
 * credentials (as separate statements from a client; in the procedure the bench measures it).
 * Verification runs on every request of the Analytics API, a change when an admin makes one.
 *
 * An instance of an earlier release revokes without writing the credential's row: after this
 * migration, a secret it revokes would still verify. 1797100000000 closes that on MariaDB and
 * MySQL 8.0.16+ (which enforce CHECK constraints): such a revocation is refused, so until the old
 * instances are replaced, revoke through an upgraded one; it also repairs what old instances
 * revoked since this migration ran.
 *
 * `down` drops the three columns and puts back the procedures that do not write them: the secret's
 * row has said it all throughout.
 */
const CREDENTIAL = "credential";
const CREATE_SECRET = "keyturn_create_secret";
const ROTATE_SECRET = "keyturn_rotate_secret";

/** The create procedure's third version: the credential row with its secret's project. */
export const CREATE_CREATE_SECRET_V3 = replaceOnce(
  CREATE_CREATE_SECRET_V2,
  `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, last_used_at)
      VALUES (p_credential_id, p_secret_id, 1, p_key_id, p_secret_hash, p_hint, p_created_at, NULL);`,
  `INSERT INTO credential (id, secret_id, project_id, generation, key_id, secret_hash, hint, created_at,
        expires_at, revoked_at, last_used_at)
      VALUES (p_credential_id, p_secret_id, p_project_id, 1, p_key_id, p_secret_hash, p_hint, p_created_at,
        NULL, NULL, NULL);`,
);

/**
 * The rotation procedure's sixth version: the fifth's, with the new credential's project, and the
 * ended credentials' rows written (the replaced one's end, the previous one revoked). Its answer
 * carries the replaced credential's new end (replaced_expires_at, replaced_revoked_at).
 */
export const CREATE_ROTATE_SECRET_V6 = replaceOnce(
  replaceOnce(
    CREATE_ROTATE_SECRET_V5,
    `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, last_used_at)
        VALUES (p_credential_id, p_secret_id, v_generation + 1, p_key_id, p_secret_hash, p_hint, p_now, NULL);`,
    `INSERT INTO credential (id, secret_id, project_id, generation, key_id, secret_hash, hint, created_at,
          expires_at, revoked_at, last_used_at)
        VALUES (p_credential_id, p_secret_id, v_project_id, v_generation + 1, p_key_id, p_secret_hash, p_hint,
          p_now, NULL, NULL, NULL);
      -- Verification reads each credential's own row: the replaced one stops when the grace period
      -- ends, or now without one; the one that was previous stops now, whatever its time.
      UPDATE credential SET expires_at = p_grace_ends_at, revoked_at = IF(p_grace_ends_at IS NULL, p_now, NULL)
        WHERE key_id = v_current_key_id;
      IF v_previous_key_id IS NOT NULL THEN
        UPDATE credential SET revoked_at = p_now WHERE key_id = v_previous_key_id;
      END IF;`,
  ),
  `c.hint AS replaced_hint, c.created_at AS replaced_created_at, c.last_used_at AS replaced_last_used_at, s.*`,
  `c.hint AS replaced_hint, c.created_at AS replaced_created_at, c.last_used_at AS replaced_last_used_at,
          c.expires_at AS replaced_expires_at, c.revoked_at AS replaced_revoked_at, s.*`,
);

export class CredentialStateOnItsRow1797000000000 implements MigrationInterface {
  name = "CredentialStateOnItsRow1797000000000";

  async up(runner: QueryRunner): Promise<void> {
    // MySQL commits DDL at once: each step checks before it runs, and the fill derives every value
    // from the secrets' rows again, so a start that stopped part-way can run it all again.
    const credential = await runner.getTable(CREDENTIAL);
    const missing = COLUMNS.filter((column) => !credential?.findColumnByName(column));
    if (onSqlite(runner)) {
      // SQLite cannot add a NOT NULL column without a default: project_id is added nullable, in
      // place, and made NOT NULL once filled (below).
      for (const column of missing) {
        await addColumn(runner, CREDENTIAL, column === "project_id" ? projectColumn(runner, true) : timeColumn(column));
      }
    } else if (missing.length) {
      // One statement, atomic, and online or not at all, as in 1796900000000. MySQL gives the
      // existing rows '' for the NOT NULL project_id, which the fill replaces.
      await runner.query(
        `ALTER TABLE \`${CREDENTIAL}\` ${missing.map((column) => `ADD COLUMN ${MYSQL_COLUMNS[column]}`).join(", ")},
           ALGORITHM = INPLACE, LOCK = NONE`,
      );
    }
    // The procedures before the fill: from here on every rotation writes the rows it ends, and the
    // fill below agrees with what it wrote.
    await createProcedure(runner, CREATE_SECRET, CREATE_CREATE_SECRET_V3);
    await createProcedure(runner, ROTATE_SECRET, CREATE_ROTATE_SECRET_V6);
    const now = utcNowSql(runner);
    const ofSecret = (value: string, condition: string) =>
      `(SELECT ${value} FROM api_secret s WHERE s.id = credential.secret_id AND ${condition})`;
    // Live: the current credential, or the previous one (named with its end) of a secret not revoked.
    const live = `(credential.key_id = s.current_key_id OR (s.previous_key_id IS NOT NULL
      AND s.previous_expires_at IS NOT NULL AND credential.key_id = s.previous_key_id))`;
    await runner.query(
      `UPDATE credential SET
         project_id = ${ofSecret("s.project_id", "1 = 1")},
         expires_at = ${ofSecret("s.previous_expires_at", "credential.key_id = s.previous_key_id")},
         revoked_at = ${ofSecret(`COALESCE(s.revoked_at, ${now})`, `(s.revoked_at IS NOT NULL OR NOT ${live})`)}`,
    );
    if (onSqlite(runner)) {
      const filled = await runner.getTable(CREDENTIAL);
      const column = filled?.findColumnByName("project_id");
      if (filled && column?.isNullable) await runner.changeColumn(filled, column, projectColumn(runner, false));
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    // The columns first: until the procedures are put back, a rotation by the sixth version then
    // fails, where the fifth would leave the rows that an instance of this release still reads
    // without the end it gave.
    const credential = await runner.getTable(CREDENTIAL);
    const present = COLUMNS.filter((column) => credential?.findColumnByName(column));
    if (onSqlite(runner)) {
      for (const column of present) await dropColumn(runner, CREDENTIAL, column);
    } else if (present.length) {
      await runner.query(
        `ALTER TABLE \`${CREDENTIAL}\` ${present.map((column) => `DROP COLUMN \`${column}\``).join(", ")},
           ALGORITHM = INPLACE, LOCK = NONE`,
      );
    }
    await createProcedure(runner, ROTATE_SECRET, CREATE_ROTATE_SECRET_V5);
    await createProcedure(runner, CREATE_SECRET, CREATE_CREATE_SECRET_V2);
  }
}

const COLUMNS = ["project_id", "expires_at", "revoked_at"] as const;

const MYSQL_COLUMNS: Record<(typeof COLUMNS)[number], string> = {
  project_id: "`project_id` VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL",
  expires_at: "`expires_at` DATETIME(3) NULL",
  revoked_at: "`revoked_at` DATETIME(3) NULL",
};

const projectColumn = (runner: QueryRunner, isNullable: boolean) =>
  new TableColumn(identifier(runner, { name: "project_id", length: "128", isNullable }));
