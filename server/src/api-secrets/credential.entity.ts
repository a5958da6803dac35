import { Field, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import type { ApiSecret } from "./api-secret.entity";

export enum CredentialStatus {
  ACTIVE = "ACTIVE",
  EXPIRING = "EXPIRING",
}

registerEnumType(CredentialStatus, {
  name: "CredentialStatus",
  description: "A credential verification accepts: the current one, or one still in its grace period.",
  valuesConfig: {
    ACTIVE: { description: "The secret's current credential." },
    EXPIRING: { description: "Replaced by a rotation; accepted until expiresAt." },
  },
});

/**
 * One Key ID + secret pair of an API secret. The secret itself is never stored, only its keyed
 * hash. Its secret's row names the live ones (the current Key ID, and the previous one until its
 * grace period ends); every change also writes the end of each credential it ends on its row, so
 * that verification reads this one row (migration 1797000000000).
 */
@Entity("credential")
@Index("uq_credential_id", ["id"], { unique: true })
@Index("uq_credential_secret_generation", ["secretId", "generation"], { unique: true })
@ObjectType("Credential", { description: "A Key ID of an API secret. Its secret is shown only once, when created." })
export class Credential {
  @Column({ type: "varchar", length: 36 })
  id!: string;

  @Column({ name: "secret_id", type: "varchar", length: 36 })
  secretId!: string;

  // No @Field: the secret's project, which never changes, kept here for verification's lookup.
  @Column({ name: "project_id", type: "varchar", length: 128 })
  projectId!: string;

  @ManyToOne("ApiSecret", "credentials", { onDelete: "CASCADE" })
  @JoinColumn({ name: "secret_id", foreignKeyConstraintName: "fk_credential_secret" })
  apiSecret?: ApiSecret;

  /** 1 for the credential the secret was created with, +1 per rotation; unique per secret. */
  @Column({ type: "integer" })
  generation!: number;

  @Field(() => String, { description: "Public identifier, sent with the secret (e.g. as the HTTP Basic user)." })
  // The primary key: every verification looks a credential up by it, and InnoDB stores the rows
  // in its order (migration 1796900000000).
  @PrimaryColumn({ name: "key_id", type: "varchar", length: 64 })
  keyId!: string;

  // No @Field: HMAC-SHA-256 of the secret under the server pepper, hex. It never leaves the server.
  @Column({ name: "secret_hash", type: "varchar", length: 64 })
  secretHash!: string;

  @Field(() => String, { description: "A masked reminder of the secret, e.g. ktsk_…x9Qa." })
  @Column({ type: "varchar", length: 64 })
  hint!: string;

  @Field(() => Date)
  @Column({ name: "created_at", type: "datetime", precision: 3 })
  createdAt!: Date;

  /**
   * The end of the grace period of a credential a rotation replaced (then the secret's
   * previousExpiresAt); kept after a later change revokes it. The list sets it from the secret's row.
   */
  @Field(() => Date, { nullable: true, description: "When an EXPIRING credential stops being accepted." })
  @Column({ name: "expires_at", type: "datetime", precision: 3, nullable: true })
  expiresAt!: Date | null;

  // No @Field: when a change ended it (a rotation without a grace period or past the previous one,
  // a revocation). Only live credentials are ever listed.
  @Column({ name: "revoked_at", type: "datetime", precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "Last successful verification, recorded at most once a minute per credential.",
  })
  @Column({ name: "last_used_at", type: "datetime", precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => CredentialStatus)
  get status(): CredentialStatus {
    return this.expiresAt ? CredentialStatus.EXPIRING : CredentialStatus.ACTIVE;
  }
}
