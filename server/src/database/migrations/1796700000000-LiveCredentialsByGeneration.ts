import { TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";
import { CREATE_ROTATE_SECRET_V3 } from "./1796600000000-SecretSoleKeyId";
import { createProcedure } from "./procedures";

/**
 * Drops idx_credential_live, and keyturn_rotate_secret's fourth version, which finds a secret's
 * live credentials without it.
 *
 * A secret's live credentials are among its two newest generations: a rotation ends every live
 * credential but the current one, which it leaves in a grace period or ends too, and then adds the
 * next generation; a revocation ends them all. (By the clock of the instance that rotates: as with
 * the fast path, a credential whose grace period has ended by that clock is left as it is, and an
 * instance whose clock is behind accepts it until the period ends by its own clock, at most the
 * clocks' skew; no later change reaches it.) So the current credential (found by the
 * secret's current_key_id, through the Key ID's unique index) gives the generation g, and the
 * live ones are read, and locked, at (secret_id, g - 1) and (secret_id, g) of the unique
 * (secret_id, generation) index: two entries, however long the secret's history.
 *
 * idx_credential_live had served the same reads, but its entries move whenever a credential is
 * ended or starts a grace period: each rotation delete-marked one entry and inserted another (two
 * of each with a grace period), and InnoDB's purge removed the old ones a second later in one
 * batch. Without it, a rotation with a grace period at 50 admins cost MariaDB less CPU in each of
 * ten interleaved rounds (median 484 against 561 µs) and ran faster in nine (bench/notes.md,
 * 2026-12-05). The index was named by every read of live credentials
 * (`USE INDEX`): an instance of the previous release fails its lists and revocations once this
 * has run, so upgrade every instance together. Its rotations keep working: they call this
 * procedure, whose parameters and answers are the third version's.
 *
 * The procedure differs from the third version only in how the range path (a secret with a
 * credential that may be in a grace period) reaches the live credentials: the current
 * credential's generation is read first, then the two generations are locked and ended. The
 * fast path (sole_key_id) locks the current credential by its Key ID, as before.
 */
const PROCEDURE = "keyturn_rotate_secret";
const INDEX = "idx_credential_live";
const TABLE = "credential";

const LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > p_now)";

/** Both paths' change to the live credentials they locked: the current one into its grace period. */
const END_LIVE = `SET
          revoked_at = IF(p_grace_ends_at IS NOT NULL AND key_id = v_current_key_id, NULL, p_now),
          expires_at = IF(p_grace_ends_at IS NOT NULL AND key_id = v_current_key_id, p_grace_ends_at, expires_at)`;

/** The secret's two newest credentials, the only ones that can be live. */
const NEWEST_TWO = "secret_id = p_secret_id AND generation IN (v_generation - 1, v_generation)";

export const CREATE_ROTATE_SECRET_V4 = `CREATE PROCEDURE ${PROCEDURE}(
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
    SELECT revoked_at, current_key_id, sole_key_id INTO v_revoked_at, v_current_key_id, v_sole_key_id
      FROM api_secret WHERE id = p_secret_id FOR UPDATE;
    IF v_revoked_at IS NOT NULL THEN
      ROLLBACK;
      SELECT 'revoked' AS outcome;
    ELSE
      -- The secret's row is locked: no other change can end or add one of its credentials now.
      SELECT generation INTO v_generation FROM credential
        WHERE key_id = v_current_key_id AND secret_id = p_secret_id AND ${LIVE};
      IF v_generation IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'Active API secret has no live current credential';
      END IF;
      IF v_sole_key_id = v_current_key_id THEN
        -- The current credential is the only one that can be live (1796600000000-SecretSoleKeyId).
        SELECT * FROM credential WHERE key_id = v_current_key_id AND secret_id = p_secret_id AND ${LIVE} FOR UPDATE;
      ELSE
        SELECT * FROM credential WHERE ${NEWEST_TWO} AND ${LIVE} FOR UPDATE;
      END IF;
      -- The current credential works until the grace period ends; every other live one stops now.
      -- Before the INSERT, so that the new credential is not among them.
      IF v_sole_key_id = v_current_key_id THEN
        UPDATE credential ${END_LIVE} WHERE key_id = v_current_key_id AND secret_id = p_secret_id;
      ELSE
        UPDATE credential ${END_LIVE} WHERE ${NEWEST_TWO} AND ${LIVE};
      END IF;
      INSERT INTO credential (id, secret_id, generation, key_id, secret_hash, hint, created_at, expires_at,
          revoked_at, last_used_at)
        VALUES (p_credential_id, p_secret_id, v_generation + 1, p_key_id, p_secret_hash, p_hint, p_now, NULL, NULL, NULL);
      UPDATE api_secret SET rotated_at = p_now, current_key_id = p_key_id, secret_hint = p_hint,
          sole_key_id = IF(p_grace_ends_at IS NULL, p_key_id, NULL)
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

export class LiveCredentialsByGeneration1796700000000 implements MigrationInterface {
  name = "LiveCredentialsByGeneration1796700000000";

  async up(runner: QueryRunner): Promise<void> {
    // The procedure first: the third version names the index.
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V4);
    // MySQL commits DDL at once: a start that stopped after the drop reruns from here.
    const table = await runner.getTable(TABLE);
    if (table?.indices.some((index) => index.name === INDEX)) await runner.dropIndex(TABLE, INDEX);
  }

  async down(runner: QueryRunner): Promise<void> {
    const table = await runner.getTable(TABLE);
    if (!table?.indices.some((index) => index.name === INDEX)) {
      await runner.createIndex(
        TABLE,
        new TableIndex({ name: INDEX, columnNames: ["secret_id", "revoked_at", "expires_at"] }),
      );
    }
    await createProcedure(runner, PROCEDURE, CREATE_ROTATE_SECRET_V3);
  }
}
