import { GraphQLJSONObject } from "graphql-scalars";
import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

export enum AuditAction {
  SECRET_CREATED = "secret.created",
  SECRET_ROTATED = "secret.rotated",
  SECRET_REVOKED = "secret.revoked",
}

registerEnumType(AuditAction, { name: "AuditAction" });

/** Who did what to which secret, when and from where. Never holds a secret or a token. */
@Entity("audit_event")
@ObjectType("AuditEvent", { description: "Who created, rotated or revoked a secret, when and from where." })
@Index("idx_audit_event_project_time", ["projectId", "occurredAt"])
@Index("idx_audit_event_secret", ["secretId"])
export class AuditEvent {
  @Field(() => ID)
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Field(() => ID)
  @Column({ name: "project_id", type: "varchar", length: 128 })
  projectId!: string;

  @Field(() => ID)
  @Column({ name: "secret_id", type: "varchar", length: 36 })
  secretId!: string;

  @Field(() => AuditAction)
  @Column({ type: "varchar", length: 32 })
  action!: AuditAction;

  @Field(() => String, { description: "The `sub` of the administrator who made the change." })
  @Column({ type: "varchar", length: 255 })
  actor!: string;

  @Field(() => String, { nullable: true })
  @Column({ type: "varchar", length: 45, nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: "user_agent", type: "varchar", length: 512, nullable: true })
  userAgent!: string | null;

  @Field(() => Date)
  @Column({ name: "occurred_at", type: "datetime", precision: 3 })
  occurredAt!: Date;

  /** Key IDs and grace periods involved, as JSON. Key IDs are public; secrets never go here. */
  @Column({ type: "text" })
  details!: string;

  @Field(() => GraphQLJSONObject, {
    name: "details",
    description: "Key IDs, the name, the grace period: what the change involved. Never a secret.",
  })
  get detailsObject(): Record<string, unknown> {
    return JSON.parse(this.details) as Record<string, unknown>;
  }
}
