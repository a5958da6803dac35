import { Arg, Args, Ctx, Mutation, Query, Resolver, UseMiddleware } from "type-graphql";
import { requireProjectRole } from "../auth/authorize";
import { actorOf, requirePrincipal, type Context } from "../context";
import { ClientErrors } from "../errors";
import { ApiSecret } from "./api-secret.entity";
import { CreateSecretInput, ProjectArgs, RevokeSecretInput, RotateSecretInput } from "./api-secret.inputs";
import { CreateSecretPayload, RevokeSecretPayload, RotateSecretPayload } from "./api-secret.payloads";
import { ApiSecretService } from "./api-secret.service";
import { ProjectAccess, ProjectRoleValue } from "./project-access.type";

@Resolver(() => ApiSecret)
@UseMiddleware(ClientErrors)
export class ApiSecretResolver {
  constructor(private readonly service: ApiSecretService) {}

  @Query(() => [ApiSecret], { description: "The project's API secrets, newest first. Admins and viewers." })
  apiSecrets(@Args(() => ProjectArgs) { projectId }: ProjectArgs, @Ctx() context: Context): Promise<ApiSecret[]> {
    requireProjectRole(requirePrincipal(context), projectId, "viewer", "list API secrets");
    return this.service.list(projectId);
  }

  @Query(() => ProjectAccess, { description: "The caller's role in the project. Admins and viewers." })
  projectAccess(@Args(() => ProjectArgs) { projectId }: ProjectArgs, @Ctx() context: Context): ProjectAccess {
    const principal = requirePrincipal(context);
    requireProjectRole(principal, projectId, "viewer", "view this project");
    const admin = principal.has(projectId, "admin");
    return { projectId, role: admin ? ProjectRoleValue.ADMIN : ProjectRoleValue.VIEWER, canManageSecrets: admin };
  }

  @Mutation(() => CreateSecretPayload, {
    description: "Creates an API secret and returns its credentials, the only time the secret is shown. Admins only.",
  })
  createSecret(
    @Arg("input", () => CreateSecretInput) input: CreateSecretInput,
    @Ctx() context: Context,
  ): Promise<CreateSecretPayload> {
    requireProjectRole(requirePrincipal(context), input.projectId, "admin", "create API secrets");
    return this.service.create(actorOf(context), input);
  }

  @Mutation(() => RotateSecretPayload, {
    description:
      "Issues new credentials for an API secret (shown once). The old ones stop working when rotation completes, " +
      "or after gracePeriodSeconds. Admins only.",
  })
  rotateSecret(
    @Arg("input", () => RotateSecretInput) input: RotateSecretInput,
    @Ctx() context: Context,
  ): Promise<RotateSecretPayload> {
    return this.service.rotate(actorOf(context), input);
  }

  @Mutation(() => RevokeSecretPayload, {
    description: "Ends every credential of an API secret at once. The secret stays listed as REVOKED. Admins only.",
  })
  async revokeSecret(
    @Arg("input", () => RevokeSecretInput) input: RevokeSecretInput,
    @Ctx() context: Context,
  ): Promise<RevokeSecretPayload> {
    return { apiSecret: await this.service.revoke(actorOf(context), input) };
  }
}
