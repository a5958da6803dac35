import type { MigrationInterface, QueryRunner } from "typeorm";
import { createProcedure, dropProcedure } from "./procedures";

/**
 * createSecret's transaction as one stored procedure on MySQL/MariaDB, called with one prepared
 * `CALL` and then `COMMIT`: two round trips instead of six (START TRANSACTION, the slot UPDATE,
 * three INSERTs, COMMIT), and the project's row lock held for two round trips, not six.
 * ApiSecretService.create computes everything else (ids, the credential, its hash, the audit
 * details of a named secret); the procedure takes the slot, names an unnamed secret "Secret <n>"
 * and writes the three rows. SQLite runs the same steps in a transaction of its own (no round
 * trips there). bench/notes.md has the measurements.
 *
 * The procedure starts the transaction and leaves it open: the caller commits
 * (Database.callProcedure). A procedure that committed by itself would commit after its client
 * was gone, a change whose answer, plaintext secret included, nobody received; this way a
 * connection lost before the COMMIT rolls the change back, as with statements sent one by one.
 *
 * Returns one row: `created_count`, how many secrets the project has ever had with this one, or
 * NULL when every active-secret slot is taken (rolled back, nothing written). Any error rolls back
 * and is raised again, so the caller's deadlock retry and error mapping see it as from a plain
 * statement.
 *
 * Parameters carry their columns' character sets and collations: a routine parameter has the
 * database's default otherwise, and comparing it with an ascii_bin column could fail.
 */
const PROCEDURE = "keyturn_create_secret";

export const CREATE_CREATE_SECRET_V1 = `CREATE PROCEDURE ${PROCEDURE}(
  IN p_project_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_max_active INT,
  IN p_secret_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_created_at DATETIME(3),
  IN p_created_by VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_key_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_hint VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_credential_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_secret_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_audit_id VARCHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_audit_action VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_ip VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin,
  IN p_user_agent VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
  IN p_details TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
)
BEGIN
  DECLARE v_count INT;
  DECLARE v_name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  UPDATE project
    SET active_secret_count = active_secret_count + 1,
        created_secret_count = LAST_INSERT_ID(created_secret_count + 1)
    WHERE id = p_project_id AND active_secret_count < p_max_active;
  IF ROW_COUNT() = 0 THEN
    ROLLBACK;
    SELECT NULL AS created_count;
  ELSE
    SET v_count = LAST_INSERT_ID();
    SET v_name = COALESCE(p_name, CONCAT('Secret ', v_count));
    INSERT INTO api_secret (id, project_id, name, created_at, created_by, rotated_at, revoked_at, revoked_by,
        current_key_id, secret_hint, last_used_at)
      VALUES (p_secret_id, p_project_id, v_name, p_created_at, p_created_by, NULL, NULL, NULL,
        p_key_id, p_hint, NULL);
    INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, expires_at,
        revoked_at, last_used_at)
      VALUES (p_credential_id, p_secret_id, 1, p_key_id, p_secret_hash, p_hint, p_created_at, NULL, NULL, NULL);
    -- Without details from the caller the name is "Secret <n>" and the Key ID base62: both need no
    -- escaping, and this is byte for byte what JSON.stringify makes of them.
    INSERT INTO audit_event (id, project_id, secret_id, action, actor, ip, user_agent, occurred_at, details)
      VALUES (p_audit_id, p_project_id, p_secret_id, p_audit_action, p_created_by, p_ip, p_user_agent,
        p_created_at, COALESCE(p_details, CONCAT('{"name":"', v_name, '","keyId":"', p_key_id, '"}')));
    SELECT v_count AS created_count;
  END IF;
END`;

export class CreateSecretProcedure1796400000000 implements MigrationInterface {
  name = "CreateSecretProcedure1796400000000";

  async up(runner: QueryRunner): Promise<void> {
    await createProcedure(runner, PROCEDURE, CREATE_CREATE_SECRET_V1);
  }

  async down(runner: QueryRunner): Promise<void> {
    await dropProcedure(runner, PROCEDURE);
  }
}
