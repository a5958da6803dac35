import type { MigrationInterface, QueryRunner } from "typeorm";
import { createProcedure, dropProcedure } from "./procedures";

/**
 * rotateSecret's transaction as one stored procedure on MySQL/MariaDB, as keyturn_create_secret is
 * createSecret's (its migration says why, and why the caller commits): a prepared `CALL` and a
 * `COMMIT` instead of eight round trips. ApiSecretService.rotate has checked the caller's role and
 * made the new credential; the procedure locks the secret and its live credentials, ends the live
 * ones (the current one when the grace period ends, if there is one; every other at once), writes
 * the new credential, points the secret at it and writes the audit event, leaving the transaction
 * open for the caller's COMMIT. SQLite runs the same steps in a transaction of its own.
 *
 * Result sets: when the secret is missing or revoked, only `outcome` ('not-found', 'revoked'), and
 * nothing is written (rolled back). Otherwise the secret's row and its live credentials' rows as
 * they were before the change (the service applies the same change to them for its answer), then
 * `outcome` 'rotated'. Any error rolls back and is raised again.
 */
const PROCEDURE = "keyturn_rotate_secret";

const LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now)";

export const CREATE_ROTATE_SECRET_V1 = `CREATE PROCEDURE ${PROCEDURE}(
  IN p_secret_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
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
  DECLARE v_found INT DEFAULT 0;
  DECLARE v_project_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_revoked_at DATETIME(3);
  DECLARE v_current_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_generation INT;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  SELECT 1, project_id, revoked_at, current_key_id INTO v_found, v_project_id, v_revoked_at, v_current_key_id
    FROM api_secret WHERE id = p_secret_id FOR UPDATE;
  IF v_found = 0 THEN
    ROLLBACK;
    SELECT 'not-found' AS outcome;
  ELSEIF v_revoked_at IS NOT NULL THEN
    ROLLBACK;
    SELECT 'revoked' AS outcome;
  ELSE
    SELECT * FROM api_secret WHERE id = p_secret_id;
    -- Named, as the service's own locking read names it: through it the read (and its locks)
    -- reaches the live credentials only, never the secret's history (bench/notes.md).
    SELECT * FROM credential USE INDEX (idx_credential_live) WHERE secret_id = p_secret_id AND ${LIVE} FOR UPDATE;
    SELECT generation INTO v_generation FROM credential
      WHERE key_id = v_current_key_id AND secret_id = p_secret_id AND ${LIVE};
    IF v_generation IS NULL THEN
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Active API secret has no live current credential';
    END IF;
    -- The current credential works until the grace period ends; every other live one stops now.
    UPDATE credential SET expires_at = p_grace_ends_at
      WHERE key_id = v_current_key_id AND p_grace_ends_at IS NOT NULL;
    UPDATE credential USE INDEX (idx_credential_live) SET revoked_at = p_now
      WHERE secret_id = p_secret_id AND ${LIVE} AND (key_id <> v_current_key_id OR p_grace_ends_at IS NULL);
    INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, expires_at,
        revoked_at, last_used_at)
      VALUES (p_credential_id, p_secret_id, v_generation + 1, p_key_id, p_secret_hash, p_hint, p_now, NULL, NULL, NULL);
    UPDATE api_secret SET rotated_at = p_now, current_key_id = p_key_id, secret_hint = p_hint WHERE id = p_secret_id;
    -- Key IDs are base62 and the time ISO 8601: no escaping needed, and this is byte for byte
    -- what JSON.stringify makes of the service's details object.
    INSERT INTO audit_event (id, project_id, secret_id, action, actor, ip, user_agent, occurred_at, details)
      VALUES (p_audit_id, v_project_id, p_secret_id, p_audit_action, p_actor, p_ip, p_user_agent, p_now,
        CONCAT('{"keyId":"', p_key_id, '","previousKeyId":"', v_current_key_id,
          '","gracePeriodSeconds":', p_grace_period_seconds, ',"previousExpiresAt":',
          IF(p_grace_ends_at_iso IS NULL, 'null', CONCAT('"', p_grace_ends_at_iso, '"')), '}'));
    SELECT 'rotated' AS outcome;
  END IF;
END`;

export class RotateSecretProcedure1796400000001 implements MigrationInterface {
  name = "RotateSecretProcedure1796400000001";

  async up(runner: QueryRunner): Promise<void> {
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V1);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropProcedure(runner, PROCEDURE);
  }
}
