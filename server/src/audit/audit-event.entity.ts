import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export type AuditAction = "secret.created" | "secret.rotated" | "secret.revoked";

/** Who did what to which secret, when and from where. Never holds a secret or a token. */
@Entity("audit_event")
@Index("idx_audit_event_project_time", ["projectId", "occurredAt"])
@Index("idx_audit_event_secret", ["secretId"])
export class AuditEvent {
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "project_id", type: "varchar", length: 128 })
  projectId!: string;

  @Column({ name: "secret_id", type: "varchar", length: 36 })
  secretId!: string;

  @Column({ type: "varchar", length: 32 })
  action!: AuditAction;

  @Column({ type: "varchar", length: 255 })
  actor!: string;

  @Column({ type: "varchar", length: 45, nullable: true })
  ip!: string | null;

  @Column({ name: "user_agent", type: "varchar", length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ name: "occurred_at", type: "datetime", precision: 3 })
  occurredAt!: Date;

  /** Key IDs and grace periods involved, as JSON. Key IDs are public; secrets never go here. */
  @Column({ type: "text" })
  details!: string;
}
