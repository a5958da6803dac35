import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CredentialFormat } from "@keyturn/shared";
import cors from "cors";
import express, { type ErrorRequestHandler, type Express } from "express";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { ApiSecretService } from "./api-secrets/api-secret.service";
import { AuditEventService } from "./audit/audit-event.service";
import { HostTokenVerifier } from "./auth/host-token-verifier";
import { clientIpResolver } from "./client-ip";
import type { Config } from "./config";
import { RequestContext, type Context } from "./context";
import type { Database } from "./database/database";
import { createGraphQLServer } from "./graphql-server";
import { closeServer } from "./http/close-server";
import { graphqlRoute } from "./http/graphql-route";
import type { Middleware } from "./http/middleware";
import { isOperationalPath, operationalRoutes } from "./http/operational-routes";
import { mountPlayground } from "./http/playground";
import { answerRequestError } from "./http/request-error";
import { requestLogs } from "./http/request-log";
import { securityHeaders } from "./http/security-headers";
import { uniformRequest, uniformSockets } from "./http/uniform-shapes";
import { pathOf } from "./logger";
import { Metrics } from "./metrics";
import { RateLimits } from "./rate-limits";
import { connectRedis } from "./redis";
import { assignRequestId } from "./request-id";
import { buildKeyturnSchema } from "./schema";
import { withTimeout } from "./timeout";
import { CredentialCache } from "./verification/credential-cache";
import { createCredentialLookup } from "./verification/credential-lookup";
import { createInvalidation, type Invalidation } from "./verification/invalidation";
import { LastUsedRecorder } from "./verification/last-used-recorder";
import { SecretHasher } from "./verification/secret-hasher";
import { createVerificationRoutes } from "./verification/verification.routes";
import { Verifier } from "./verification/verifier";

export interface AppOptions {
  config: Config;
  db: Database;
  logger: Logger;
  /** Injected clock for tests (grace periods, last-used). */
  now?: () => Date;
  /** Adds routes after Keyturn's own and before the 404 answer (the demo portal uses it). */
  extend?: (app: Express) => void | Promise<void>;
}

export interface KeyturnApp {
  server: Server;
  verifier: Verifier;
  lastUsed: LastUsedRecorder;
  cache: CredentialCache;
  invalidation: Invalidation;
  metrics: Metrics;
  /** Listens on config.http and resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops taking requests, lets in-flight ones finish, writes pending last-used times. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";
const GRAPHQL_BODY_LIMIT = "64kb";
const READINESS_TIMEOUT_MS = 2_000;
// Requests still unanswered this long after shutdown began are cut (within run.ts's deadline).
const DRAIN_GRACE_MS = 10_000;

/** Builds the whole HTTP surface without listening, so tests can drive it directly. */
export async function createApp({ config, db, logger, now, extend }: AppOptions): Promise<KeyturnApp> {
  const format = new CredentialFormat(config.secrets.prefixes);
  const hasher = new SecretHasher(config.secrets.pepper);
  const clientIp = clientIpResolver(config.http.trustProxy);
  // One connection for commands (publishing, rate-limit counters); the subscriber has its own.
  const redis: Redis | undefined = config.redisUrl ? connectRedis(config.redisUrl, logger, "commands") : undefined;
  const limits = new RateLimits(config.rateLimits, redis);
  const cache = new CredentialCache(createCredentialLookup(db), {
    ...config.verificationCache,
    // Old entries may answer during a database outage only while no invalidation can be missed.
    mayServeStale: () => invalidation.heardEverything(),
    onLookup: (result) => {
      lookups[result].inc();
    },
  });
  const metrics = new Metrics(db, () => cache.size);
  const lookups = {
    hit: metrics.tally(metrics.cacheLookups, { result: "hit" }),
    miss: metrics.tally(metrics.cacheLookups, { result: "miss" }),
    stale: metrics.tally(metrics.cacheLookups, { result: "stale" }),
  };
  const invalidation = createInvalidation(cache, config.redisUrl, logger, { publisher: redis });
  const lastUsed = new LastUsedRecorder(db, logger);
  const verifier = new Verifier({
    format,
    hasher,
    findByKeyId: (keyId) => cache.find(keyId),
    cached: (keyId) => cache.cached(keyId),
    keepInnerHash: (keyId, innerHash) => cache.keepInnerHash(keyId, innerHash),
    onVerified: (credential, atMs) => lastUsed.record(credential.keyId, credential.secretId, atMs),
    ...(now ? { now: () => now().getTime() } : {}),
  });
  const apiSecrets = new ApiSecretService(db, format, hasher, {
    maxActivePerProject: config.secrets.maxActivePerProject,
    onCredentialsChanged: (keyIds) => invalidation.credentialsChanged(keyIds),
    onSecretChanged: (secretId) => invalidation.secretChanged(secretId),
    countChange: (subject) => limits.countMutation(subject),
    uncountChange: (subject) => limits.uncountMutation(subject),
    ...(now ? { now } : {}),
  });
  const auditEvents = new AuditEventService(db);
  const tokens = new HostTokenVerifier(config.auth);

  const apollo = createGraphQLServer({
    schema: await buildKeyturnSchema({ apiSecrets, auditEvents }),
    config,
    logger,
    metrics,
  });
  await apollo.start();

  // helmet's headers everywhere but the verification routes (security-headers.ts).
  const security = securityHeaders();
  // Every request but the verification routes gets its id and its logger here; the GraphQL
  // context's log is the same logger. Only what an operator needs is logged: never bodies,
  // headers or query strings (a mistyped client might put credentials there).
  const requests = requestLogs(logger, {
    requestId: assignRequestId,
    ignore: isOperationalPath,
  });
  // Host portals on other origins embed the widget; only the listed ones may call from a browser.
  const graphqlCors = cors({
    origin: config.http.corsOrigins,
    methods: ["GET", "POST"],
    allowedHeaders: ["authorization", "content-type", "apollo-require-preflight"],
    maxAge: 600,
  });
  const noStore: Middleware = (_req, res, next) => {
    // Create and rotate responses carry plaintext secrets: nothing may store them.
    res.setHeader("cache-control", "no-store");
    next();
  };
  const graphqlBody = express.json({ limit: GRAPHQL_BODY_LIMIT });
  const graphqlContext = async (req: IncomingMessage): Promise<Context> => {
    try {
      const authentication = await tokens.authenticate(req.headers.authorization);
      if (authentication.status === "REJECTED") {
        requests.of(req).info({ reason: authentication.reason, detail: authentication.detail }, "Host token rejected");
      }
      return new RequestContext(authentication, clientIp(req), req.headers["user-agent"] ?? null, () =>
        requests.of(req),
      );
    } catch (error) {
      // Apollo answers this with a masked error before any plugin sees the request: log it here.
      requests.of(req).error({ err: error }, "GraphQL operation failed");
      throw error;
    }
  };
  // Every request but the verification routes passes the first list; /graphql then the second.
  const everyRequest: Middleware[] = [security, requests.middleware];
  const answerError = (error: unknown, req: IncomingMessage, res: ServerResponse) =>
    answerRequestError(error, requests.of(req), res);
  const graphqlMiddleware: Middleware[] = [graphqlCors, noStore, graphqlBody];
  const graphql = graphqlRoute(apollo, {
    middleware: [...everyRequest, ...graphqlMiddleware],
    context: graphqlContext,
    onError: answerError,
  });

  let shuttingDown = false;
  const expressApp = express();
  const handleVerification = createVerificationRoutes({ verifier, logger, limits, metrics, clientIp });
  const handleOperational = operationalRoutes({
    middleware: everyRequest,
    ready: () =>
      shuttingDown
        ? Promise.resolve(false)
        : withTimeout(db.ping(), READINESS_TIMEOUT_MS).then(
            () => true,
            () => false,
          ),
    metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
    metricsToken: config.metricsToken,
    onError: answerError,
  });
  const server = createServer((req, res) => {
    uniformRequest(req);
    // The hot path first: no framework, and no per-request logger (it logs its one error line itself).
    if (handleVerification(req, res)) return;
    // Probes and scrapes, without Express either (operational-routes.ts says why).
    if (handleOperational(req, res)) return;
    // Then the mutations' path, without Express's router (the same middleware, in the same order).
    if (req.method === "POST" && pathOf(req.url) === GRAPHQL_PATH) graphql.handle(req, res);
    else expressApp(req, res);
  });
  uniformSockets(server);

  expressApp.disable("x-powered-by");
  expressApp.set("trust proxy", config.http.trustProxy);
  expressApp.use(...everyRequest);

  if (config.playground) mountPlayground(expressApp, GRAPHQL_PATH);
  // GET queries, CORS preflights and paths below /graphql; POST /graphql itself is served above.
  expressApp.use(GRAPHQL_PATH, ...graphqlMiddleware, graphql.execute);

  await extend?.(expressApp);
  expressApp.get("/", (_req, res) => {
    res.json({ name: "Keyturn", graphql: GRAPHQL_PATH, verify: "/v1/verify" });
  });
  expressApp.use((_req, res) => {
    res.status(404).json({ error: "Not found" });
  });
  expressApp.use(((error: unknown, req, res, _next) => {
    answerError(error, req, res);
  }) satisfies ErrorRequestHandler);

  lastUsed.start();

  return {
    server,
    verifier,
    lastUsed,
    cache,
    invalidation,
    metrics,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.http.port, config.http.host, () => {
          const { address, port } = server.address() as AddressInfo;
          resolve(`http://${address.includes(":") ? `[${address}]` : address}:${port}`);
        });
      }),
    async close() {
      shuttingDown = true;
      await closeServer(server, DRAIN_GRACE_MS);
      await apollo.stop();
      await lastUsed.stop();
      await invalidation.close();
      redis?.disconnect();
    },
  };
}
