import type { MigrationInterface, QueryRunner } from "typeorm";
import { CREATE_ROTATE_SECRET_V1 } from "./1796400000001-RotateSecretProcedure";
import { createProcedure } from "./procedures";

/**
 * keyturn_rotate_secret, second version. Three changes, measured in bench/notes.md (2026-12-03,
 * ninth session):
 *
 * - **READ COMMITTED.** At REPEATABLE READ the locking read of a secret's live credentials also
 *   locked the next entry of idx_credential_live, the first live credential of the secret next to
 *   it, and the gap before it. Rotations of neighbouring secrets (ids made one after another sort
 *   together) then waited for each other's COMMIT and sometimes deadlocked. Every change locks the
 *   secret's row first, so no other change can add or end one of its credentials meanwhile: the
 *   gap locks protected nothing. (MariaDB still locks the entry where a locking range read ends:
 *   a secret's first rotation, before it has a history, can still wait for its neighbour's.)
 * - **The caller's role is checked here first**, so a rotation is one `CALL` and a `COMMIT`, not a
 *   read, a `CALL` and a `COMMIT`. The procedure reads the secret's project without a lock and goes
 *   on only if the project is in `p_admin_projects` (a JSON array of the projects where the caller
 *   is an admin): an outsider still never takes or waits for a lock. Otherwise it answers
 *   'not-admin' with the project (NULL for no such secret), from which ApiSecretService raises the
 *   same NOT_FOUND or FORBIDDEN as before; it checks the role again on the row it gets back
 *   before it commits.
 * - **Fewer statements:** one UPDATE ends the live credentials (it was two), and the secret comes
 *   back once, after the change, in the outcome's row (it was read before the change too).
 *
 * Result sets: 'not-admin' or 'revoked' alone (nothing written, rolled back). Otherwise the live
 * credentials as they were before the change, then the outcome 'rotated' with `previous_key_id`
 * and the secret's row after the change. The transaction is left open for the caller's COMMIT, and
 * any error rolls back and is raised again, as in the first version.
 *
 * An instance of the previous release calls the first version's signature and fails its
 * rotations until it is upgraded too.
 */
const PROCEDURE = "keyturn_rotate_secret";

const LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now)";

export const CREATE_ROTATE_SECRET_V2 = `CREATE PROCEDURE ${PROCEDURE}(
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
    SELECT revoked_at, current_key_id INTO v_revoked_at, v_current_key_id
      FROM api_secret WHERE id = p_secret_id FOR UPDATE;
    IF v_revoked_at IS NOT NULL THEN
      ROLLBACK;
      SELECT 'revoked' AS outcome;
    ELSE
      -- Named, as the service's own locking read names it: the read (and its locks) reaches the
      -- live credentials only, never the secret's history.
      SELECT * FROM credential USE INDEX (idx_credential_live) WHERE secret_id = p_secret_id AND ${LIVE} FOR UPDATE;
      SELECT generation INTO v_generation FROM credential
        WHERE key_id = v_current_key_id AND secret_id = p_secret_id AND ${LIVE};
      IF v_generation IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Active API secret has no live current credential';
      END IF;
      -- The current credential works until the grace period ends; every other live one stops now.
      -- Before the INSERT, so that the new credential is not among them.
      UPDATE credential USE INDEX (idx_credential_live)
        SET revoked_at = IF(p_grace_ends_at IS NOT NULL AND key_id = v_current_key_id, NULL, p_now),
            expires_at = IF(p_grace_ends_at IS NOT NULL AND key_id = v_current_key_id, p_grace_ends_at, expires_at)
        WHERE secret_id = p_secret_id AND ${LIVE};
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
      SELECT 'rotated' AS outcome, v_current_key_id AS previous_key_id, s.* FROM api_secret s WHERE s.id = p_secret_id;
    END IF;
  END IF;
END`;

export class RotateSecretReadCommitted1796500000000 implements MigrationInterface {
  name = "RotateSecretReadCommitted1796500000000";

  async up(runner: QueryRunner): Promise<void> {
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V2);
  }

  async down(runner: QueryRunner): Promise<void> {
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V1);
  }
}
