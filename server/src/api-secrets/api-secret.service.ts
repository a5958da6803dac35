import type { CredentialFormat, GeneratedCredential } from "@keyturn/shared";
import { In, type EntityManager } from "typeorm";
import type { Actor } from "../auth/actor";
import { requireSecretRole } from "../auth/authorize";
import { AuditAction, AuditEvent } from "../audit/audit-event.entity";
import { auditEventRow, recordAuditEvent } from "../audit/audit-log";
import { DatabaseUnavailableError, type Database } from "../database/database";
import { newRowId } from "../database/row-id";
import { hydrateRows, insertRow, selectRows, updateRow } from "../database/rows";
import { conflict, limitExceeded, notFound } from "../errors";
import type { SecretHasher } from "../verification/secret-hasher";
import { ApiSecret } from "./api-secret.entity";
import type { CreateSecretInput, RevokeSecretInput, RotateSecretInput } from "./api-secret.inputs";
import { Credential } from "./credential.entity";
import { Project } from "./project.entity";

export interface ApiSecretServiceOptions {
  maxActivePerProject: number;
  /** Called after each committed change with the Key IDs it touched (verification caches drop them). */
  onCredentialsChanged?: (keyIds: readonly string[]) => Promise<void>;
  /** Called after a rotation whose COMMIT went unanswered: caches drop every Key ID of the secret. */
  onSecretChanged?: (secretId: string) => Promise<void>;
  /** Counts a change against the admin's rate limit; throws to refuse it. */
  countChange?: (subject: string) => Promise<void>;
  /** Gives back a change counted for a call that turned out not to be the caller's to make. */
  uncountChange?: (subject: string) => Promise<void>;
  /** Injected so tests can move time past a grace period. */
  now?: () => Date;
}

export interface IssuedSecret {
  apiSecret: ApiSecret;
  credentials: GeneratedCredential;
}

/**
 * The secret lifecycle. Every change is one transaction that also writes its audit event;
 * plaintext secrets leave this class only in the IssuedSecret returned to the caller.
 */
const MAX_KNOWN_PROJECTS = 100_000;

export class ApiSecretService {
  private readonly now: () => Date;
  // Project rows are never deleted: once one is known to exist, creates skip that round trip.
  private readonly knownProjects = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly format: CredentialFormat,
    private readonly hasher: SecretHasher,
    private readonly options: ApiSecretServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Every secret of the project, newest first, each with the credentials verification accepts now:
   * its current one and, until its grace period ends, its previous one, read by their Key IDs.
   * Which ones are live, and the previous one's end, are the secret's row's to say: a rotation
   * between the two reads cannot make the list contradict the secrets it read, and a transaction
   * is not needed.
   */
  list(projectId: string): Promise<ApiSecret[]> {
    const now = this.now();
    return this.db.execute(async (manager) => {
      const secrets = await manager.find(ApiSecret, {
        where: { projectId },
        order: { createdAt: "DESC", id: "DESC" },
      });
      const keyIds = secrets.flatMap((secret) => liveKeyIds(secret, now));
      const credentials = keyIds.length ? await manager.find(Credential, { where: { keyId: In(keyIds) } }) : [];
      const byKeyId = new Map(credentials.map((credential) => [credential.keyId, credential]));
      for (const secret of secrets) secret.credentials = liveCredentials(secret, now, byKeyId);
      return secrets;
    });
  }

  /** Caller must already be an admin of `input.projectId`. */
  async create(actor: Actor, input: CreateSecretInput): Promise<IssuedSecret> {
    // The name was checked by the input's validator; it is stored trimmed.
    const name = input.name?.trim() || null;
    await this.options.countChange?.(actor.principal.subject);
    await this.ensureProject(input.projectId);
    const draft = this.draftSecret(actor, input.projectId, name);
    const createdCount =
      this.db.dialect === "mysql"
        ? await this.insertInOneCall(draft)
        : await this.db.transaction((m) => this.insert(m, draft));
    if (createdCount === null) {
      throw limitExceeded(
        `This project already has ${this.options.maxActivePerProject} active API secrets, the most allowed. Revoke one first.`,
      );
    }
    const { apiSecret, credential, issued } = draft;
    apiSecret.name = name ?? defaultName(createdCount);
    apiSecret.credentials = [credential];
    await this.options.onCredentialsChanged?.([issued.keyId]);
    return { apiSecret, credentials: issued.plaintext };
  }

  /**
   * Issues a new current credential. The one it replaces stops at once (grace 0) or when the
   * grace period ends; a credential still in an earlier grace period stops at once, so a secret
   * never has more than two working credentials.
   */
  async rotate(actor: Actor, input: RotateSecretInput): Promise<IssuedSecret> {
    const action = "rotate API secrets";
    // On MySQL the procedure checks the role itself (rotateInOneCall); a refused call is uncounted.
    if (this.db.dialect === "sqlite") await this.authorize(actor, input.id, action);
    await this.options.countChange?.(actor.principal.subject);
    const now = this.now();
    const graceEndsAt = input.gracePeriodSeconds > 0 ? new Date(now.getTime() + input.gracePeriodSeconds * 1000) : null;
    const issued = this.issue();
    // Its generation (the current one's + 1) and project, and the audit row's project and details,
    // are set once the secret is locked: by rotateInTransaction here, by the procedure on MySQL.
    const next = this.newCredential(input.id, "", 0, issued, now);
    const audit = auditEventRow({
      action: AuditAction.SECRET_ROTATED,
      projectId: "",
      secretId: input.id,
      actor,
      at: now,
      details: {},
    });
    const change: RotationChange = { now, graceEndsAt, gracePeriodSeconds: input.gracePeriodSeconds, next, audit };
    const rotating =
      this.db.dialect === "mysql"
        ? this.rotateInOneCall(actor, action, change)
        : this.db.transaction((manager) => this.rotateInTransaction(manager, change));
    const { apiSecret, current, changed } = await rotating.catch(async (error: unknown) => {
      // It may have been made: the credentials it may have ended must not keep working from a
      // cache until their entries' TTL, nor, if the database is down as well, through an outage.
      if (mayHaveCommitted(error)) await this.options.onSecretChanged?.(input.id);
      throw error;
    });
    apiSecret.credentials = graceEndsAt ? [next, current] : [next];
    await this.options.onCredentialsChanged?.(changed);
    return { apiSecret, credentials: issued.plaintext };
  }

  /**
   * MySQL: the rotation's transaction in one call of keyturn_rotate_secret (its migrations say why
   * and what it does). The procedure goes on only in a project where the caller is an admin, and
   * answers with the secret as it is now, the credential it replaced and the one it ended.
   */
  private async rotateInOneCall(actor: Actor, action: string, change: RotationChange): Promise<Rotated> {
    const { now, graceEndsAt, gracePeriodSeconds, next, audit } = change;
    const { principal } = actor;
    const answer = await this.db.callProcedure(
      "CALL keyturn_rotate_secret(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        next.secretId,
        JSON.stringify(principal.projectsWith("admin")),
        now,
        graceEndsAt,
        graceEndsAt?.toISOString() ?? null,
        gracePeriodSeconds,
        next.id,
        next.keyId,
        next.secretHash,
        next.hint,
        audit.id,
        audit.action,
        audit.actor,
        audit.ip,
        audit.userAgent,
      ],
      (results): Rotated | { refusedIn: string | null } => {
        // One result set, then the CALL's own status: [outcome, with the secret and what it replaced].
        const sets = (results as unknown[]).filter((set): set is Array<Record<string, unknown>> => Array.isArray(set));
        const outcome = sets[0]?.[0];
        if (outcome?.outcome === "not-admin") return { refusedIn: outcome.project_id as string | null };
        if (outcome?.outcome === "revoked") throw revokedConflict();
        const manager = this.db.dataSource.manager;
        const [apiSecret] = outcome?.outcome === "rotated" ? hydrateRows(manager, ApiSecret, [outcome]) : [];
        const [current] = apiSecret && outcome ? hydrateRows(manager, Credential, [replacedColumns(outcome)]) : [];
        if (!apiSecret || !current || sets.length !== 1)
          throw new Error(`keyturn_rotate_secret answered ${JSON.stringify(outcome)}`);
        // The procedure checked the role; so does the service, on the row itself, before the COMMIT.
        requireSecretRole(principal, apiSecret, "admin", action);
        const ended = typeof outcome?.ended_key_id === "string" ? outcome.ended_key_id : null;
        // As the procedure inserted it: the answer carries the new credential as it is stored.
        next.generation = current.generation + 1;
        next.projectId = apiSecret.projectId;
        return { apiSecret, current, changed: changedKeyIds(current.keyId, ended, next.keyId) };
      },
    );
    if ("refusedIn" in answer) {
      // Not a change the caller may make: it does not count against their limit.
      await this.options.uncountChange?.(principal.subject);
      requireSecretRole(principal, answer.refusedIn === null ? null : { projectId: answer.refusedIn }, "admin", action);
      throw new Error(`keyturn_rotate_secret refused an admin of project ${answer.refusedIn}`);
    }
    return answer;
  }

  /** SQLite: the same steps as keyturn_rotate_secret, in a transaction (no round trips to save there). */
  private async rotateInTransaction(manager: EntityManager, change: RotationChange): Promise<Rotated> {
    const { now, graceEndsAt, gracePeriodSeconds, next, audit } = change;
    const apiSecret = await this.lockSecret(manager, next.secretId);
    if (apiSecret.revokedAt) throw revokedConflict();
    const [current] = await selectRows(
      manager,
      Credential,
      { where: "key_id = :keyId" },
      { keyId: apiSecret.currentKeyId },
    );
    if (!current) throw new Error(`Active API secret ${apiSecret.id} has no current credential`);
    const ended = apiSecret.previousKeyId;
    next.generation = current.generation + 1;
    next.projectId = apiSecret.projectId;
    // Verification reads each credential's own row: the replaced one stops when the grace period
    // ends, or now without one; the one that was previous stops now, whatever its time.
    const replacedEnd = { expiresAt: graceEndsAt, revokedAt: graceEndsAt ? null : now };
    Object.assign(current, replacedEnd);
    const moved = {
      rotatedAt: now,
      currentKeyId: next.keyId,
      secretHint: next.hint,
      previousKeyId: graceEndsAt ? current.keyId : null,
      previousExpiresAt: graceEndsAt,
    };
    Object.assign(apiSecret, moved);
    await insertRow(manager, Credential, next);
    await updateRow(manager, Credential, current.keyId, replacedEnd);
    if (ended) await updateRow(manager, Credential, ended, { revokedAt: now });
    await updateRow(manager, ApiSecret, apiSecret.id, moved);
    audit.projectId = apiSecret.projectId;
    audit.details = JSON.stringify({
      keyId: next.keyId,
      previousKeyId: current.keyId,
      gracePeriodSeconds,
      previousExpiresAt: graceEndsAt?.toISOString() ?? null,
    });
    await insertRow(manager, AuditEvent, audit);
    return { apiSecret, current, changed: changedKeyIds(current.keyId, ended, next.keyId) };
  }

  /** Ends every credential of the secret at once. Revoking a revoked secret changes nothing. */
  async revoke(actor: Actor, input: RevokeSecretInput): Promise<ApiSecret> {
    await this.authorize(actor, input.id, "revoke API secrets");
    await this.options.countChange?.(actor.principal.subject);
    const changed: string[] = [];
    const revoking = this.db.transaction(
      async (manager) => {
        changed.length = 0;
        const now = this.now();
        const apiSecret = await this.lockSecret(manager, input.id);
        apiSecret.credentials = [];
        if (apiSecret.revokedAt) return apiSecret;
        const live = liveKeyIds(apiSecret, now);
        // The previous Key ID too, whatever its time: a cache must not keep it from before.
        changed.push(...changedKeyIds(apiSecret.currentKeyId, apiSecret.previousKeyId));
        const revocation = { revokedAt: now, revokedBy: actor.principal.subject, credentialsRevoked: true };
        Object.assign(apiSecret, revocation);
        // Verification reads each credential's own row; the secret's says so (credentialsRevoked).
        await updateRow(manager, ApiSecret, apiSecret.id, revocation);
        for (const keyId of changed) await updateRow(manager, Credential, keyId, { revokedAt: now });
        await manager
          .createQueryBuilder()
          .update(Project)
          .set({ activeSecretCount: () => "active_secret_count - 1" })
          .where("id = :id AND active_secret_count > 0", { id: apiSecret.projectId })
          .execute();

        await recordAuditEvent(manager, {
          action: AuditAction.SECRET_REVOKED,
          projectId: apiSecret.projectId,
          secretId: apiSecret.id,
          actor,
          at: now,
          details: { keyIds: live.join(",") },
        });
        return apiSecret;
      },
      { readCommitted: true },
    );
    const revoked = await revoking.catch(async (error: unknown) => {
      // What the transaction would have ended, dropped from caches whether or not its COMMIT took.
      if (mayHaveCommitted(error) && changed.length) await this.options.onCredentialsChanged?.(changed);
      throw error;
    });
    if (changed.length) await this.options.onCredentialsChanged?.(changed);
    return revoked;
  }

  /** Everything a create writes, made before the database is reached; the name waits for the slot. */
  private draftSecret(actor: Actor, projectId: string, name: string | null): SecretDraft {
    const now = this.now();
    const issued = this.issue();
    const apiSecret = Object.assign(new ApiSecret(), {
      id: newRowId(),
      projectId,
      createdAt: now,
      createdBy: actor.principal.subject,
      rotatedAt: null,
      revokedAt: null,
      revokedBy: null,
      credentialsRevoked: false,
      currentKeyId: issued.keyId,
      secretHint: issued.hint,
      previousKeyId: null,
      previousExpiresAt: null,
      lastUsedAt: null,
    });
    const credential = this.newCredential(apiSecret.id, projectId, 1, issued, now);
    // A named secret's audit details are known now; an unnamed one's wait for its number.
    const audit = auditEventRow({
      action: AuditAction.SECRET_CREATED,
      projectId,
      secretId: apiSecret.id,
      actor,
      at: now,
      details: { name: name ?? "", keyId: issued.keyId },
    });
    return { apiSecret, credential, issued, audit, name };
  }

  /**
   * MySQL: the create's transaction in one call of keyturn_create_secret (its migration says why and
   * what it does). Returns the project's created count, or null when it has no free slot.
   */
  private async insertInOneCall({ apiSecret, credential, audit, name }: SecretDraft): Promise<number | null> {
    return this.db.callProcedure(
      "CALL keyturn_create_secret(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        apiSecret.projectId,
        this.options.maxActivePerProject,
        apiSecret.id,
        name,
        apiSecret.createdAt,
        apiSecret.createdBy,
        apiSecret.currentKeyId,
        apiSecret.secretHint,
        credential.id,
        credential.secretHash,
        audit.id,
        audit.action,
        audit.ip,
        audit.userAgent,
        name === null ? null : audit.details,
      ],
      (results) => {
        const [rows] = results as [Array<{ created_count: number | null }>, unknown];
        return rows[0]?.created_count ?? null;
      },
    );
  }

  /** SQLite: the same steps as keyturn_create_secret, in a transaction (no round trips to save there). */
  private async insert(
    manager: EntityManager,
    { apiSecret, credential, audit, name }: SecretDraft,
  ): Promise<number | null> {
    const createdCount = await this.reserveSlot(manager, apiSecret.projectId);
    if (createdCount === null) return null;
    const finalName = name ?? defaultName(createdCount);
    await insertRow(manager, ApiSecret, Object.assign(apiSecret, { name: finalName }));
    await insertRow(manager, Credential, credential);
    audit.details = JSON.stringify({ name: finalName, keyId: apiSecret.currentKeyId });
    await insertRow(manager, AuditEvent, audit);
    return createdCount;
  }

  /**
   * Makes sure the project's counter row exists, in its own statement: inserting it inside the
   * create transaction would let concurrent first creates deadlock on InnoDB's insert locks.
   */
  private async ensureProject(projectId: string): Promise<void> {
    if (this.knownProjects.has(projectId)) return;
    await this.db.execute((manager) =>
      manager
        .createQueryBuilder()
        .insert()
        .into(Project)
        .values({ id: projectId, activeSecretCount: 0, createdSecretCount: 0 })
        .orIgnore()
        .execute(),
    );
    if (this.knownProjects.size >= MAX_KNOWN_PROJECTS) this.knownProjects.clear();
    this.knownProjects.add(projectId);
  }

  /**
   * SQLite: takes one of the project's active-secret slots with a conditional UPDATE, which the
   * database applies atomically, so the limit holds under any concurrency. Returns how many
   * secrets the project has ever had, this one included (RETURNING, in the same statement), or null
   * when every slot is taken. MySQL does the same inside keyturn_create_secret.
   */
  private async reserveSlot(manager: EntityManager, projectId: string): Promise<number | null> {
    const [row] = await manager.query<Array<{ created_secret_count: number }>>(
      "UPDATE project SET active_secret_count = active_secret_count + 1, " +
        "created_secret_count = created_secret_count + 1 " +
        "WHERE id = ? AND active_secret_count < ? RETURNING created_secret_count",
      [projectId, this.options.maxActivePerProject],
    );
    return row?.created_secret_count ?? null;
  }

  /**
   * Checks the caller's role on a plain read, before any transaction: an outsider never takes or
   * waits for a row lock, so lock timing cannot tell it which ids exist. A secret never changes
   * project, so the answer still holds once the row is locked.
   */
  private async authorize(actor: Actor, id: string, action: string): Promise<void> {
    // A raw read (Database.read), as verification's lookup: TypeORM's find options cost more than the query.
    const [row] = await this.db.read<{ project_id: string }>("SELECT project_id FROM api_secret WHERE id = ?", [id]);
    requireSecretRole(actor.principal, row ? { projectId: row.project_id } : null, "admin", action);
  }

  /**
   * The secret's row, locked for this transaction; authorize() has already vouched for the caller.
   * Its live credentials are named on it: a change writes the ones it ends by their Key IDs, and
   * reads or locks no range of credentials. A revocation runs at READ COMMITTED, as the rotation
   * procedure does.
   */
  private async lockSecret(manager: EntityManager, id: string): Promise<ApiSecret> {
    const [apiSecret] = await selectRows(manager, ApiSecret, { where: "id = :id", forUpdate: true }, { id });
    if (!apiSecret) throw notFound("API secret");
    return apiSecret;
  }

  private issue(): { keyId: string; hint: string; plaintext: GeneratedCredential } {
    const plaintext = this.format.generate();
    return { keyId: plaintext.keyId, hint: this.format.hint(plaintext.secret), plaintext };
  }

  private newCredential(
    secretId: string,
    projectId: string,
    generation: number,
    issued: { keyId: string; hint: string; plaintext: GeneratedCredential },
    now: Date,
  ): Credential {
    return Object.assign(new Credential(), {
      id: newRowId(),
      secretId,
      projectId,
      generation,
      keyId: issued.keyId,
      secretHash: this.hasher.hash(issued.plaintext.secret),
      hint: issued.hint,
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
    });
  }
}

interface SecretDraft {
  apiSecret: ApiSecret;
  credential: Credential;
  issued: { keyId: string; hint: string; plaintext: GeneratedCredential };
  audit: AuditEvent;
  /** As given (trimmed), or null for "Secret <n>". */
  name: string | null;
}

/** What a rotation changes, made before the database is reached. */
interface RotationChange {
  now: Date;
  graceEndsAt: Date | null;
  gracePeriodSeconds: number;
  /** The new current credential (its generation is set once the current one is known). */
  next: Credential;
  /** The audit row but for its project and details, which the locked secret decides. */
  audit: AuditEvent;
}

/** A rotated secret (its new state), the credential it replaced, and every Key ID touched. */
interface Rotated {
  apiSecret: ApiSecret;
  current: Credential;
  changed: string[];
}

/** Every Key ID a change touched, for verification caches to drop: null ones left out. */
function changedKeyIds(...keyIds: Array<string | null>): string[] {
  return keyIds.filter((keyId): keyId is string => keyId !== null);
}

/** The Key IDs verification accepts for `secret` at `now`: current, then previous in its grace period. */
function liveKeyIds(secret: ApiSecret, now: Date): string[] {
  const { revokedAt, currentKeyId, previousKeyId, previousExpiresAt } = secret;
  if (revokedAt) return [];
  return previousKeyId && previousExpiresAt && previousExpiresAt > now ? [currentKeyId, previousKeyId] : [currentKeyId];
}

/** `secret`'s live credentials from `byKeyId`, newest first, the previous one with its expiry. */
function liveCredentials(secret: ApiSecret, now: Date, byKeyId: Map<string, Credential>): Credential[] {
  return liveKeyIds(secret, now).flatMap((keyId) => {
    const credential = byKeyId.get(keyId);
    if (!credential) return [];
    credential.expiresAt = keyId === secret.currentKeyId ? null : secret.previousExpiresAt;
    return [credential];
  });
}

/** The replaced credential's columns in keyturn_rotate_secret's answer (replaced_*), by their names. */
function replacedColumns(outcome: Record<string, unknown>): Record<string, unknown> {
  return {
    id: outcome.replaced_id,
    secret_id: outcome.id,
    project_id: outcome.project_id,
    generation: outcome.replaced_generation,
    key_id: outcome.replaced_key_id,
    secret_hash: outcome.replaced_secret_hash,
    hint: outcome.replaced_hint,
    created_at: outcome.replaced_created_at,
    expires_at: outcome.replaced_expires_at,
    revoked_at: outcome.replaced_revoked_at,
    last_used_at: outcome.replaced_last_used_at,
  };
}

function revokedConflict(): Error {
  return conflict("This API secret is revoked and cannot be rotated; create a new one.");
}

/** An unnamed secret's name: the project's nth. */
function defaultName(createdCount: number): string {
  return `Secret ${createdCount}`;
}

/** A change whose COMMIT was sent and not answered: it may have been made. */
function mayHaveCommitted(error: unknown): boolean {
  return error instanceof DatabaseUnavailableError && error.outcome === "unknown";
}
