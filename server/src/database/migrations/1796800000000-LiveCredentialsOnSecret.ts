import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { identifier } from "./1795823133281-CreateSecretTables";
import { CREATE_CREATE_SECRET_V1 } from "./1796400000000-CreateSecretProcedure";
import { CREATE_ROTATE_SECRET_V4 } from "./1796700000000-LiveCredentialsByGeneration";
import { createProcedure } from "./procedures";
import { addColumn, dropColumn, headerOf, replaceOnce, timeColumn, utcNowSql } from "./steps";

/**
 * A secret's live credentials kept on the secret's row: `previous_key_id` and
 * `previous_expires_at` beside `current_key_id`. A credential is live while its secret is not
 * revoked and it is the current one, or the previous one until previous_expires_at. A rotation
 * moves the current Key ID to previous (or clears previous without a grace period), which alone
 * ends the credential that was previous; a revocation is the secret's row alone. So a change
 * writes no credential row, a credential row never changes but for its last use, and "at most two
 * live credentials" holds by construction, whatever the clocks of the instances say (until
 * migration 1797000000000, which has every change write the end of each credential it ends).
 *
 * Measured on the bench VM (bench/notes.md, 2026-12-05, second session), this build against the
 * one before at 50 admins: MariaDB's CPU per rotation 393 against 603 µs with a grace period and
 * 414 against 545 µs without, where the fourth version of the procedure locked, returned and
 * updated the live credential rows.
 *
 * The credential's `revoked_at` and `expires_at`, and the secret's `sole_key_id`, are dropped: the
 * secret's row says it all. An instance of an earlier release reads those columns in its lookups,
 * lists and changes, so after this migration its every lookup fails (it refuses, it does not
 * accept a credential this release has ended): stop every instance before upgrading.
 *
 * `down` derives the dropped columns again: the previous credential expires at previous_expires_at,
 * and every credential of a revoked secret, and every one neither current nor previous, is
 * revoked at the time of the `down`.
 */
const SECRET = "api_secret";
const CREDENTIAL = "credential";

const CREATE_SECRET = "keyturn_create_secret";
const ROTATE_SECRET = "keyturn_rotate_secret";

/** The create procedure's second version: the credential row without the dropped columns. */
export const CREATE_CREATE_SECRET_V2 = replaceOnce(
  CREATE_CREATE_SECRET_V1,
  `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, expires_at,
        revoked_at, last_used_at)
      VALUES (p_credential_id, p_secret_id, 1, p_key_id, p_secret_hash, p_hint, p_created_at, NULL, NULL, NULL);`,
  `INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, last_used_at)
      VALUES (p_credential_id, p_secret_id, 1, p_key_id, p_secret_hash, p_hint, p_created_at, NULL);`,
);

/**
 * The rotation procedure's fifth version: the fourth's parameters (its header, taken from it); it
 * answers with one result set (an earlier release's rotations refuse that answer and roll back).
 * The secret's row is locked, the current credential's generation read (a credential never
 * changes but for its last use, so a plain read), the next generation inserted and the secret's
 * row moved on. The answer names the previous credential the rotation ended (if any) and carries
 * the replaced credential's columns (replaced_*) beside the secret's new row.
 */
export const CREATE_ROTATE_SECRET_V5 = `${headerOf(CREATE_ROTATE_SECRET_V4)}
BEGIN
  DECLARE v_project_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_revoked_at DATETIME(3);
  DECLARE v_current_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_previous_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_generation INT;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  -- A plain read, before any transaction or lock; a secret never changes project.
  SELECT project_id INTO v_project_id FROM api_secret WHERE id = p_secret_id;
  IF v_project_id IS NULL OR NOT JSON_CONTAINS(p_admin_projects, JSON_QUOTE(v_project_id)) THEN
    SELECT 'not-admin' AS outcome, v_project_id AS project_id;
  ELSE
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    SELECT revoked_at, current_key_id, previous_key_id INTO v_revoked_at, v_current_key_id, v_previous_key_id
      FROM api_secret WHERE id = p_secret_id FOR UPDATE;
    IF v_revoked_at IS NOT NULL THEN
      ROLLBACK;
      SELECT 'revoked' AS outcome;
    ELSE
      SELECT generation INTO v_generation FROM credential WHERE key_id = v_current_key_id AND secret_id = p_secret_id;
      IF v_generation IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Active API secret has no current credential';
      END IF;
      INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, last_used_at)
        VALUES (p_credential_id, p_secret_id, v_generation + 1, p_key_id, p_secret_hash, p_hint, p_now, NULL);
      -- The credential that was previous is no longer named: it stops now, whatever its time.
      UPDATE api_secret SET rotated_at = p_now, current_key_id = p_key_id, secret_hint = p_hint,
          previous_key_id = IF(p_grace_ends_at IS NULL, NULL, v_current_key_id),
          previous_expires_at = p_grace_ends_at
        WHERE id = p_secret_id;
      -- Key IDs are base62 and the time ISO 8601: no escaping needed, and this is byte for byte
      -- what JSON.stringify makes of the service's details object.
      INSERT INTO audit_event (id, project_id, secret_id, action, actor, ip, user_agent, occurred_at, details)
        VALUES (p_audit_id, v_project_id, p_secret_id, p_audit_action, p_actor, p_ip, p_user_agent, p_now,
          CONCAT('{"keyId":"', p_key_id, '","previousKeyId":"', v_current_key_id,
            '","gracePeriodSeconds":', p_grace_period_seconds, ',"previousExpiresAt":',
            IF(p_grace_ends_at_iso IS NULL, 'null', CONCAT('"', p_grace_ends_at_iso, '"')), '}'));
      SELECT 'rotated' AS outcome, v_previous_key_id AS ended_key_id, c.id AS replaced_id,
          c.generation AS replaced_generation, c.key_id AS replaced_key_id, c.secret_hash AS replaced_secret_hash,
          c.hint AS replaced_hint, c.created_at AS replaced_created_at, c.last_used_at AS replaced_last_used_at, s.*
        FROM api_secret s JOIN credential c ON c.key_id = v_current_key_id
        WHERE s.id = p_secret_id;
    END IF;
  END IF;
END`;

export class LiveCredentialsOnSecret1796800000000 implements MigrationInterface {
  name = "LiveCredentialsOnSecret1796800000000";

  async up(runner: QueryRunner): Promise<void> {
    // MySQL commits DDL at once: every step, each column on its own, can run again after a start
    // that stopped.
    const secret = await runner.getTable(SECRET);
    if (!secret?.findColumnByName("previous_key_id")) {
      await addColumn(runner, SECRET, keyIdColumn(runner, "previous_key_id"));
    }
    if (!secret?.findColumnByName("previous_expires_at")) {
      await addColumn(runner, SECRET, timeColumn("previous_expires_at"));
    }
    // The procedures before the rows are filled: an instance of an earlier release that still
    // rotates from here on gets an answer it refuses before its COMMIT, so no rotation by the
    // fourth version can move the secret's row past what the fill below wrote.
    await createProcedure(runner, CREATE_SECRET, CREATE_CREATE_SECRET_V2);
    await createProcedure(runner, ROTATE_SECRET, CREATE_ROTATE_SECRET_V5);
    const credential = await runner.getTable(CREDENTIAL);
    if (credential?.findColumnByName("expires_at")) {
      // The credential before the current one, still in its grace period by its row (or past it:
      // then it stays ended, as previous_expires_at says). Every other credential is ended already.
      await runner.query(
        `UPDATE api_secret SET
           previous_key_id = (SELECT p.key_id FROM credential c JOIN credential p
             ON p.secret_id = c.secret_id AND p.generation = c.generation - 1
             WHERE c.key_id = api_secret.current_key_id AND p.revoked_at IS NULL AND p.expires_at IS NOT NULL),
           previous_expires_at = (SELECT p.expires_at FROM credential c JOIN credential p
             ON p.secret_id = c.secret_id AND p.generation = c.generation - 1
             WHERE c.key_id = api_secret.current_key_id AND p.revoked_at IS NULL AND p.expires_at IS NOT NULL)
         WHERE revoked_at IS NULL`,
      );
    }
    for (const column of ["expires_at", "revoked_at"]) {
      if (credential?.findColumnByName(column)) await dropColumn(runner, CREDENTIAL, column);
    }
    if (secret?.findColumnByName("sole_key_id")) await dropColumn(runner, SECRET, "sole_key_id");
  }

  async down(runner: QueryRunner): Promise<void> {
    const credential = await runner.getTable(CREDENTIAL);
    for (const column of ["expires_at", "revoked_at"]) {
      if (!credential?.findColumnByName(column)) await addColumn(runner, CREDENTIAL, timeColumn(column));
    }
    const secret = await runner.getTable(SECRET);
    if (!secret?.findColumnByName("sole_key_id")) {
      // NULL: the fourth version then reads the two newest generations, which finds every live one.
      await addColumn(runner, SECRET, keyIdColumn(runner, "sole_key_id"));
    }
    // The procedures first here too: from now on a rotation by this release refuses the fourth
    // version's answer, so none moves the secret's row past what is derived below.
    await createProcedure(runner, ROTATE_SECRET, CREATE_ROTATE_SECRET_V4);
    await createProcedure(runner, CREATE_SECRET, CREATE_CREATE_SECRET_V1);
    if (secret?.findColumnByName("previous_key_id")) {
      await runner.query(
        `UPDATE credential SET expires_at = (SELECT s.previous_expires_at FROM api_secret s
           WHERE s.id = credential.secret_id AND s.previous_key_id = credential.key_id AND s.revoked_at IS NULL)`,
      );
      const now = utcNowSql(runner);
      await runner.query(
        `UPDATE credential SET revoked_at = ${now} WHERE EXISTS (SELECT 1 FROM api_secret s
           WHERE s.id = credential.secret_id AND (s.revoked_at IS NOT NULL OR (credential.key_id <> s.current_key_id
             AND (s.previous_key_id IS NULL OR credential.key_id <> s.previous_key_id))))`,
      );
    }
    for (const column of ["previous_key_id", "previous_expires_at"]) {
      if (secret?.findColumnByName(column)) await dropColumn(runner, SECRET, column);
    }
  }
}

const keyIdColumn = (runner: QueryRunner, name: string) =>
  new TableColumn(identifier(runner, { name, length: "64", isNullable: true }));
