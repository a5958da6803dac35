import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Column, Entity, Index, OneToMany, PrimaryColumn } from "typeorm";
import { Credential } from "./credential.entity";

export enum ApiSecretStatus {
  ACTIVE = "ACTIVE",
  REVOKED = "REVOKED",
}

registerEnumType(ApiSecretStatus, { name: "ApiSecretStatus" });

/**
 * An API secret as an administrator sees it in the section: a named, long-lived row whose
 * credentials change with each rotation.
 */
@Entity("api_secret")
@Index("idx_api_secret_project_created", ["projectId", "createdAt"])
@ObjectType("ApiSecret")
export class ApiSecret {
  @Field(() => ID)
  @PrimaryColumn({ type: "varchar", length: 36 })
  id!: string;

  @Field(() => ID)
  @Column({ name: "project_id", type: "varchar", length: 128 })
  projectId!: string;

  @Field(() => String)
  @Column({ type: "varchar", length: 100 })
  name!: string;

  @Field(() => Date)
  @Column({ name: "created_at", type: "datetime", precision: 3 })
  createdAt!: Date;

  @Field(() => String, { description: "The `sub` of the administrator who created it." })
  @Column({ name: "created_by", type: "varchar", length: 255 })
  createdBy!: string;

  @Field(() => Date, { nullable: true })
  @Column({ name: "rotated_at", type: "datetime", precision: 3, nullable: true })
  rotatedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: "revoked_at", type: "datetime", precision: 3, nullable: true })
  revokedAt!: Date | null;

  @Field(() => String, { nullable: true })
  @Column({ name: "revoked_by", type: "varchar", length: 255, nullable: true })
  revokedBy!: string | null;

  @Field(() => String, { description: "The Key ID of the current credential (for a revoked secret, its last one)." })
  @Column({ name: "current_key_id", type: "varchar", length: 64 })
  currentKeyId!: string;

  /**
   * Not in the API. The Key ID the last rotation with a grace period replaced, which verification
   * accepts until previousExpiresAt; null after a rotation without one. A secret's live credentials
   * are its current one and this one (migration 1796800000000 says why they are kept here).
   */
  @Column({ name: "previous_key_id", type: "varchar", length: 64, nullable: true })
  previousKeyId!: string | null;

  /**
   * Not in the API. Set with revokedAt, by the transaction that also revokes the credentials' own
   * rows, which verification reads. On MySQL a CHECK constraint refuses a revoked secret without
   * it, so an instance of an earlier release fails to revoke rather than leave the credentials
   * verifying (migration 1797100000000).
   */
  @Column({ name: "credentials_revoked", type: "boolean", default: false })
  credentialsRevoked!: boolean;

  /** Not in the API: when the previous credential stops being accepted. */
  @Column({ name: "previous_expires_at", type: "datetime", precision: 3, nullable: true })
  previousExpiresAt!: Date | null;

  @Field(() => String, { description: "A masked reminder of the current secret, e.g. ktsk_…x9Qa. Never the secret." })
  @Column({ name: "secret_hint", type: "varchar", length: 64 })
  secretHint!: string;

  @Field(() => Date, { nullable: true, description: "Last successful verification with any of its credentials." })
  @Column({ name: "last_used_at", type: "datetime", precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  /** Only the credentials verification accepts: ApiSecretService never loads any others. */
  @OneToMany(() => Credential, (credential) => credential.apiSecret)
  credentials!: Credential[];

  @Field(() => ApiSecretStatus)
  get status(): ApiSecretStatus {
    return this.revokedAt ? ApiSecretStatus.REVOKED : ApiSecretStatus.ACTIVE;
  }

  @Field(() => [Credential], {
    name: "credentials",
    description:
      "The credentials verification accepts now, newest first: the current one and, during a grace period, " +
      "the one it replaced. Empty once the secret is revoked.",
  })
  get liveCredentials(): Credential[] {
    return [...this.credentials].sort((a, b) => b.generation - a.generation);
  }
}
