import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * What Keyturn keeps about a host project: counters that let the database itself enforce the
 * per-project limit (a conditional UPDATE on this row), so concurrent creates cannot exceed it.
 */
@Entity("project")
export class Project {
  @PrimaryColumn({ type: "varchar", length: 128 })
  id!: string;

  @Column({ name: "active_secret_count", type: "integer", default: 0 })
  activeSecretCount!: number;

  /** Every secret ever created in the project; numbers the default names ("Secret 3"). */
  @Column({ name: "created_secret_count", type: "integer", default: 0 })
  createdSecretCount!: number;
}
