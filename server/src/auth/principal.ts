import type { ProjectRole } from "@keyturn/shared";

/** The administrator a host token speaks for, and their role in each project it names. */
export class Principal {
  constructor(
    readonly subject: string,
    private readonly roles: ReadonlyMap<string, ProjectRole>,
  ) {}

  roleIn(projectId: string): ProjectRole | undefined {
    return this.roles.get(projectId);
  }

  /** The projects where this principal holds `role` (as has() reads it). */
  projectsWith(role: ProjectRole): string[] {
    return [...this.roles.keys()].filter((projectId) => this.has(projectId, role));
  }

  /** Admins may do everything viewers may. */
  has(projectId: string, role: ProjectRole): boolean {
    const held = this.roles.get(projectId);
    return held === "admin" || (held !== undefined && held === role);
  }
}
