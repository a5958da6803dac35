import type { EntityManager } from "typeorm";
import type { Actor } from "../auth/actor";
import { newRowId } from "../database/row-id";
import { insertRow } from "../database/rows";
import { AuditEvent, type AuditAction } from "./audit-event.entity";

const MAX_USER_AGENT_LENGTH = 512;

export interface AuditEntry {
  action: AuditAction;
  projectId: string;
  secretId: string;
  actor: Actor;
  at: Date;
  /** Key IDs, grace periods: public facts only. Never a secret. */
  details: Record<string, string | number | null>;
}

/** Writes an audit event with the caller's manager, so it commits or rolls back with the change it records. */
export async function recordAuditEvent(manager: EntityManager, entry: AuditEntry): Promise<void> {
  await insertRow(manager, AuditEvent, auditEventRow(entry));
}

/** The row an audit entry is stored as (a stored procedure may write it instead of insertRow). */
export function auditEventRow(entry: AuditEntry): AuditEvent {
  return Object.assign(new AuditEvent(), {
    id: newRowId(),
    projectId: entry.projectId,
    secretId: entry.secretId,
    action: entry.action,
    actor: entry.actor.principal.subject,
    ip: entry.actor.ip,
    userAgent: entry.actor.userAgent
      ? Array.from(entry.actor.userAgent).slice(0, MAX_USER_AGENT_LENGTH).join("")
      : null,
    occurredAt: entry.at,
    details: JSON.stringify(entry.details),
  });
}
