import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { GraphQLError, Kind, type GraphQLSchema, type ValidationRule } from "graphql";
import type { Logger } from "pino";
import type { Config } from "./config";
import type { Context } from "./context";
import { formatError, isInternalError } from "./errors";
import type { Metrics } from "./metrics";

// Keyturn's operations are a few dozen tokens; this stops pathological documents at the parser.
const MAX_OPERATION_TOKENS = 2_000;

/**
 * Apollo Server with the limits OWASP asks of a GraphQL API — depth, aliases, cost, tokens and
 * directives (graphql-armor; the limits are not echoed to clients), no batching, CSRF prevention,
 * no introspection or "did you mean" in production — and metrics per root field.
 */
export function createGraphQLServer(options: {
  schema: GraphQLSchema;
  config: Config;
  logger: Logger;
  metrics: Metrics;
}): ApolloServer<Context> {
  const { schema, config, logger, metrics } = options;
  const production = config.environment === "production";
  const armor = new ApolloArmor({
    maxDepth: { n: 8, exposeLimits: false },
    maxAliases: { n: 15, exposeLimits: false },
    costLimit: { maxCost: 5_000, exposeLimits: false },
    // graphql-js's own parser limit (parseOptions below) caps tokens and keeps GRAPHQL_PARSE_FAILED.
    maxTokens: { enabled: false },
    maxDirectives: { n: 20, exposeLimits: false },
    // Apollo's hideSchemaDetailsFromClientErrors already hides suggestions in production.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: !production,
    hideSchemaDetailsFromClientErrors: production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries are of no use to the widget; off, clients cannot fill the cache,
    // and Apollo's uncoded APQ errors (bad version, mismatched hash) never read as internal ones.
    persistedQueries: false,
    validationRules: [...armor.validationRules, knownOperationTypes],
    parseOptions: { maxLexicalTokens: MAX_OPERATION_TOKENS },
    // run.ts owns SIGTERM/SIGINT: Apollo's own handlers would re-raise the signal and kill the
    // process before pending last-used times are written and the database is closed.
    stopOnTerminationSignals: false,
    logger,
    plugins: [
      ...armor.plugins,
      ApolloServerPluginLandingPageDisabled(),
      // Every answer is `no-store` (app.ts), so cache hints would be computed for nothing: Apollo's
      // default cache-control plugin wraps every field resolver, which costs each field of a list.
      ApolloServerPluginCacheControlDisabled(),
      metricsPlugin(schema, metrics),
      internalErrorLog,
    ],
  });
}

/**
 * Refuses an operation type the schema lacks (subscription) at validation: graphql-js 16 leaves
 * it to execution, where it fails as an uncoded error that would be answered as an internal one.
 */
const knownOperationTypes: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`This server has no ${node.operation} operations.`, { nodes: node }));
    }
  },
});

/** Logs each internal error (masked for the client by formatError) with its cause, on the request's logger. */
const internalErrorLog: ApolloServerPlugin<Context> = {
  requestDidStart() {
    return Promise.resolve({
      didEncounterErrors({ contextValue, errors }) {
        for (const error of errors) {
          if (isInternalError(error)) {
            contextValue.log.error({ err: unwrapResolverError(error), path: error.path }, "GraphQL operation failed");
          }
        }
        return Promise.resolve();
      },
    });
  },
};

/** Counts and times operations by root field (only fields the schema has: bounded labels). */
function metricsPlugin(schema: GraphQLSchema, metrics: Metrics): ApolloServerPlugin<Context> {
  const knownFields = new Set([
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
  ]);
  return {
    requestDidStart() {
      const started = performance.now();
      return Promise.resolve({
        willSendResponse(context) {
          const fields =
            context.operation?.selectionSet.selections.flatMap((selection) =>
              selection.kind === Kind.FIELD && knownFields.has(selection.name.value) ? [selection.name.value] : [],
            ) ?? [];
          const body = context.response.body;
          const errors = body.kind === "single" ? body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          const outcome = errors?.length ? (typeof code === "string" ? code : "error") : "ok";
          const seconds = (performance.now() - started) / 1000;
          for (const field of fields.length ? fields : ["none"]) {
            metrics.operations.inc({ field, outcome });
            metrics.operationSeconds.observe({ field }, seconds);
          }
          return Promise.resolve();
        },
      });
    },
  };
}
