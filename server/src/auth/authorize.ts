import type { ProjectRole } from "@keyturn/shared";
import { forbidden, notFound } from "../errors";
import type { Principal } from "./principal";

/** For operations named by project id: the caller must hold `role` there. */
export function requireProjectRole(principal: Principal, projectId: string, role: ProjectRole, action: string): void {
  if (!principal.has(projectId, role)) throw forbidden(action);
}

/**
 * For operations named by a secret's id, once the secret is loaded (or not found). A caller with
 * no role in the secret's project gets the same NOT_FOUND as for an id that does not exist, so
 * ids cannot be probed across projects.
 */
export function requireSecretRole<T extends { projectId: string }>(
  principal: Principal,
  secret: T | null,
  role: ProjectRole,
  action: string,
): asserts secret is T {
  if (!secret || principal.roleIn(secret.projectId) === undefined) throw notFound("API secret");
  if (!principal.has(secret.projectId, role)) throw forbidden(action);
}
