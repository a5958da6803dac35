import "reflect-metadata";
import { validateOrReject, type ValidationError } from "class-validator";
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { ArgumentValidationError, buildSchema, type ResolverData } from "type-graphql";
import { ApiSecretResolver } from "./api-secrets/api-secret.resolver";
import type { ApiSecretService } from "./api-secrets/api-secret.service";
import { AuditEventResolver } from "./audit/audit-event.resolver";
import type { AuditEventService } from "./audit/audit-event.service";
import type { Context } from "./context";

export interface SchemaServices {
  apiSecrets: ApiSecretService;
  auditEvents: AuditEventService;
}

/**
 * Builds the schema with resolvers bound to their services. Without services the schema can be
 * printed (schema.graphql) but not executed.
 */
export function buildKeyturnSchema(services?: SchemaServices): Promise<GraphQLSchema> {
  const resolvers = new Map<unknown, unknown>(
    services
      ? [
          [ApiSecretResolver, new ApiSecretResolver(services.apiSecrets)],
          [AuditEventResolver, new AuditEventResolver(services.auditEvents)],
        ]
      : [],
  );
  return buildSchema({
    resolvers: [ApiSecretResolver, AuditEventResolver],
    container: {
      get: (someClass: unknown, _data: ResolverData<Context>) => {
        const resolver = resolvers.get(someClass);
        if (!resolver) throw new Error("This schema was built without services and cannot execute operations");
        return resolver;
      },
    },
    validateFn: validateArgument,
  });
}

/**
 * What type-graphql's `validate: true` does — class-validator on every object argument, missing
 * properties skipped, unknown values allowed, failures as ArgumentValidationError — with
 * class-validator loaded once: the built-in check `require()`s it for every argument it validates,
 * a module lookup on every mutation (≈ 1.6 % of a create's server CPU, docs/performance.md).
 */
async function validateArgument(value: unknown): Promise<void> {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  try {
    await Promise.all(
      items.flatMap((item) =>
        item !== null && typeof item === "object"
          ? [validateOrReject(item, { skipMissingProperties: true, forbidUnknownValues: false })]
          : [],
      ),
    );
  } catch (error) {
    throw new ArgumentValidationError(error as ValidationError[]);
  }
}

/** The SDL committed as schema.graphql at the repository root, byte for byte. */
export function renderSchema(schema: GraphQLSchema): string {
  const header = "# Generated from server/src by `npm run schema:emit`. Do not edit; CI fails when it is stale.\n\n";
  return `${header}${printSchema(lexicographicSortSchema(schema))}\n`;
}
