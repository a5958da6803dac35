import type { Principal } from "./principal";

/** Who is making a change and from where: the principal plus what the audit trail records. */
export interface Actor {
  principal: Principal;
  ip: string | null;
  userAgent: string | null;
}
