import { Args, Ctx, Query, Resolver, UseMiddleware } from "type-graphql";
import { requireProjectRole } from "../auth/authorize";
import { requirePrincipal, type Context } from "../context";
import { ClientErrors } from "../errors";
import { AuditEventService } from "./audit-event.service";
import { AuditEventConnection, AuditEventsArgs } from "./audit-event.types";

@Resolver()
@UseMiddleware(ClientErrors)
export class AuditEventResolver {
  constructor(private readonly service: AuditEventService) {}

  @Query(() => AuditEventConnection, {
    description: "The project's audit trail, newest first: who created, rotated or revoked what. Admins only.",
  })
  auditEvents(
    @Args(() => AuditEventsArgs) { projectId, first, after }: AuditEventsArgs,
    @Ctx() context: Context,
  ): Promise<AuditEventConnection> {
    requireProjectRole(requirePrincipal(context), projectId, "admin", "read the audit trail");
    return this.service.page(projectId, first, after);
  }
}
