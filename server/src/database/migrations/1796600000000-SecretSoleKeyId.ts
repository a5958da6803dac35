import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { identifier } from "./1795823133281-CreateSecretTables";
import { CREATE_ROTATE_SECRET_V2 } from "./1796500000000-RotateSecretReadCommitted";
import { createProcedure } from "./procedures";

/**
 * `api_secret.sole_key_id`, and keyturn_rotate_secret's third version, which keeps it and reads it.
 *
 * A rotation without a grace period ends every credential but the new one, and sets the column to
 * the new Key ID; one with a grace period sets it to NULL. So while the column equals the secret's
 * current_key_id, the current credential is the only one that can be live: no rotation has made a
 * credential since (each one changes current_key_id), and an ended credential never works again.
 * A rotation of such a secret then locks the current credential by its Key ID, one row through
 * the unique index, and ends it (or starts its grace period), instead of reading and updating the
 * secret's range of idx_credential_live: 7–20 % less of MariaDB's CPU per rotation in A/B runs on
 * the bench VM, measured with a first form of this column that ran the same statements
 * (bench/notes.md, 2026-12-04, third session). Any other value, NULL included, sends the rotation
 * through the range as before, which finds every live credential whatever the column says.
 *
 * The column is trusted only while it names the current Key ID, so nothing that does not keep it
 * can make it lie: a rotation by an older release (any version of the procedure before this one,
 * or the plain statements of a release before the procedures) changes current_key_id and leaves
 * the column behind, and the next rotation reads the range; so does a column left from a `down`
 * that stopped halfway. Nothing is backfilled: NULL only ever sends a rotation through the range.
 *
 * One difference from the range, bounded by the clocks of Keyturn's instances: a credential whose
 * grace period has ended by the clock of the instance that rotates without a grace period is not
 * live to it, so it is left unrevoked and the column is set. Were another instance's clock behind,
 * the range would have revoked that credential at its next rotation; the fast path leaves it, and
 * it works on an instance whose clock is behind until its grace period ends by that clock, at most
 * the clocks' skew after it ended.
 *
 * Otherwise the procedure is the second version: its parameters, result sets, outcomes and the
 * open transaction left for the caller's COMMIT are unchanged (the secret's row has one column
 * more, which the previous release does not read), so an instance of the previous release keeps
 * working against it.
 */
const PROCEDURE = "keyturn_rotate_secret";
const TABLE = "api_secret";
const COLUMN = "sole_key_id";

const LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now)";

/** Both paths' change to the live credentials they locked: the current one into its grace period. */
const END_LIVE = `SET
          revoked_at = IF(p_grace_ends_at IS NOT NULL AND key_id = v_current_key_id, NULL, p_now),
          expires_at = IF(p_grace_ends_at IS NOT NULL AND key_id = v_current_key_id, p_grace_ends_at, expires_at)`;

export const CREATE_ROTATE_SECRET_V3 = `CREATE PROCEDURE ${PROCEDURE}(
  IN p_secret_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_admin_projects TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_now DATETIME(3),
  IN p_grace_ends_at DATETIME(3),
  IN p_grace_ends_at_iso VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_grace_period_seconds INT,
  IN p_credential_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_secret_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_hint VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_audit_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_audit_action VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_actor VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_user_agent VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
)
BEGIN
  DECLARE v_project_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_revoked_at DATETIME(3);
  DECLARE v_current_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_sole_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
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
    SELECT revoked_at, current_key_id, ${COLUMN} INTO v_revoked_at, v_current_key_id, v_sole_key_id
      FROM api_secret WHERE id = p_secret_id FOR UPDATE;
    IF v_revoked_at IS NOT NULL THEN
      ROLLBACK;
      SELECT 'revoked' AS outcome;
    ELSE
      IF v_sole_key_id = v_current_key_id THEN
        -- The current credential is the only one that can be live (see above).
        SELECT * FROM credential WHERE key_id = v_current_key_id AND secret_id = p_secret_id AND ${LIVE} FOR UPDATE;
      ELSE
        -- Named, as the service's own locking read names it: the read (and its locks) reaches the
        -- live credentials only, never the secret's history.
        SELECT * FROM credential USE INDEX (idx_credential_live) WHERE secret_id = p_secret_id AND ${LIVE} FOR UPDATE;
      END IF;
      SELECT generation INTO v_generation FROM credential
        WHERE key_id = v_current_key_id AND secret_id = p_secret_id AND ${LIVE};
      IF v_generation IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Active API secret has no live current credential';
      END IF;
      -- The current credential works until the grace period ends; every other live one stops now.
      -- Before the INSERT, so that the new credential is not among them.
      IF v_sole_key_id = v_current_key_id THEN
        UPDATE credential ${END_LIVE} WHERE key_id = v_current_key_id AND secret_id = p_secret_id;
      ELSE
        UPDATE credential USE INDEX (idx_credential_live) ${END_LIVE} WHERE secret_id = p_secret_id AND ${LIVE};
      END IF;
      INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, expires_at,
          revoked_at, last_used_at)
        VALUES (p_credential_id, p_secret_id, v_generation + 1, p_key_id, p_secret_hash, p_hint, p_now, NULL, NULL, NULL);
      UPDATE api_secret SET rotated_at = p_now, current_key_id = p_key_id, secret_hint = p_hint,
          ${COLUMN} = IF(p_grace_ends_at IS NULL, p_key_id, NULL)
        WHERE id = p_secret_id;
      -- Key IDs are base62 and the time ISO 8601: no escaping needed, and this is byte for byte
      -- what JSON.stringify makes of the service's details object.
      INSERT INTO audit_event (id, project_id, secret_id, action, actor, ip, user_agent, occurred_at, details)
        VALUES (p_audit_id, v_project_id, p_secret_id, p_audit_action, p_actor, p_ip, p_user_agent, p_now,
          CONCAT('{"keyId":"', p_key_id, '","previousKeyId":"', v_current_key_id,
            '","gracePeriodSeconds":', p_grace_period_seconds, ',"previousExpiresAt":',
            IF(p_grace_ends_at_iso IS NULL, 'null', CONCAT('"', p_grace_ends_at_iso, '"')), '}'));
      SELECT 'rotated' AS outcome, v_current_key_id AS previous_key_id, s.* FROM api_secret s WHERE s.id = p_secret_id;
    END IF;
  END IF;
END`;

export class SecretSoleKeyId1796600000000 implements MigrationInterface {
  name = "SecretSoleKeyId1796600000000";

  async up(runner: QueryRunner): Promise<void> {
    // MySQL commits DDL at once: a start that stopped after adding the column reruns from here.
    const table = await runner.getTable(TABLE);
    if (!table?.findColumnByName(COLUMN)) {
      await runner.addColumn(
        TABLE,
        new TableColumn(identifier(runner, { name: COLUMN, length: "64", isNullable: true })),
      );
    }
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V3);
  }

  async down(runner: QueryRunner): Promise<void> {
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V2);
    // Re-runnable, as up is: a down that stopped before this point left the column in place.
    const table = await runner.getTable(TABLE);
    if (table?.findColumnByName(COLUMN)) await runner.dropColumn(TABLE, COLUMN);
  }
}
