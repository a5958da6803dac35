/** What a host token may grant on a project: admins create, rotate, revoke and list; viewers list. */
export const PROJECT_ROLES = ["admin", "viewer"] as const;

export type ProjectRole = (typeof PROJECT_ROLES)[number];

export function isProjectRole(value: unknown): value is ProjectRole {
  return (PROJECT_ROLES as readonly unknown[]).includes(value);
}

/** Project ids are the host's own; this keeps them printable and bounded so they are safe in logs and URLs. */
export const PROJECT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export function isProjectId(value: unknown): value is string {
  return typeof value === "string" && PROJECT_ID_PATTERN.test(value);
}
