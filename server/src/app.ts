import { createServer, type Server } from "node:http";
import { isIP } from "node:net";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { CredentialFormat } from "@keyturn/shared";
import cors from "cors";
import express, { type ErrorRequestHandler, type Express, type Request } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { ApiSecretService } from "./api-secrets/api-secret.service";
import { HostTokenVerifier } from "./auth/host-token-verifier";
import type { Config } from "./config";
import type { Context } from "./context";
import type { Database } from "./database/database";
import { createFormatError } from "./errors";
import { pathOf, serializeError } from "./logger";
import { mountPlayground } from "./http/playground";
import { buildKeyturnSchema } from "./schema";
import { findCredentialByKeyId } from "./verification/credential-lookup";
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
  /** Listens on config.http and resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops taking requests, lets in-flight ones finish, writes pending last-used times. */
  close(): Promise<void>;
}

const GRAPHQL_PATH = "/graphql";
const GRAPHQL_BODY_LIMIT = "64kb";
const READINESS_TIMEOUT_MS = 2_000;
const MAX_OPERATION_TOKENS = 2_000;

/** Builds the whole HTTP surface without listening, so tests can drive it directly. */
export async function createApp({ config, db, logger, now, extend }: AppOptions): Promise<KeyturnApp> {
  const format = new CredentialFormat(config.secrets.prefixes);
  const hasher = new SecretHasher(config.secrets.pepper);
  const lastUsed = new LastUsedRecorder(db, logger);
  const verifier = new Verifier({
    format,
    hasher,
    findByKeyId: (keyId) => findCredentialByKeyId(db, keyId),
    onVerified: (credential, at) => lastUsed.record(credential.credentialId, credential.secretId, at),
    ...(now ? { now } : {}),
  });
  const apiSecrets = new ApiSecretService(db, format, hasher, {
    maxActivePerProject: config.secrets.maxActivePerProject,
    ...(now ? { now } : {}),
  });
  const tokens = new HostTokenVerifier(config.auth);

  const expressApp = express();
  const handleVerification = createVerificationRoutes(verifier, logger);
  const server = createServer((req, res) => {
    if (!handleVerification(req, res)) expressApp(req, res);
  });

  const apollo = new ApolloServer<Context>({
    schema: await buildKeyturnSchema({ apiSecrets }),
    formatError: createFormatError(logger),
    includeStacktraceInErrorResponses: false,
    introspection: config.environment !== "production",
    hideSchemaDetailsFromClientErrors: config.environment === "production",
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Keyturn's operations are a few dozen tokens; this stops pathological documents at the parser.
    parseOptions: { maxLexicalTokens: MAX_OPERATION_TOKENS },
    // main.ts owns SIGTERM/SIGINT: Apollo's own handlers would re-raise the signal and kill the
    // process before pending last-used times are written and the database is closed.
    stopOnTerminationSignals: false,
    logger,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  let shuttingDown = false;
  expressApp.disable("x-powered-by");
  expressApp.set("trust proxy", config.http.trustProxy);
  expressApp.use(
    pinoHttp({
      logger,
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
      // Only what an operator needs: never bodies, headers or query strings (a mistyped client
      // might put credentials there), and errors through the same serializer as every other log.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: pathOf(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
      },
    }),
  );

  expressApp.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  expressApp.get("/readyz", async (_req, res) => {
    const ready =
      !shuttingDown &&
      (await withTimeout(db.ping(), READINESS_TIMEOUT_MS).then(
        () => true,
        () => false,
      ));
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable" });
  });
  if (config.playground) mountPlayground(expressApp, GRAPHQL_PATH);
  expressApp.use(
    GRAPHQL_PATH,
    // Host portals on other origins embed the widget; only the listed ones may call from a browser.
    cors({
      origin: config.http.corsOrigins,
      methods: ["GET", "POST"],
      allowedHeaders: ["authorization", "content-type", "apollo-require-preflight"],
      maxAge: 600,
    }),
    (_req, res, next) => {
      // Create and rotate responses carry plaintext secrets: nothing may store them.
      res.setHeader("cache-control", "no-store");
      next();
    },
    express.json({ limit: GRAPHQL_BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const authentication = await tokens.authenticate(req.headers.authorization);
        if (authentication.status === "REJECTED") {
          req.log.info({ reason: authentication.reason, detail: authentication.detail }, "Host token rejected");
        }
        return { authentication, ip: clientIp(req), userAgent: req.get("user-agent") ?? null };
      },
    }),
  );

  await extend?.(expressApp);
  expressApp.get("/", (_req, res) => {
    res.json({ name: "Keyturn", graphql: GRAPHQL_PATH, verify: "/v1/verify" });
  });
  expressApp.use((_req, res) => {
    res.status(404).json({ error: "Not found" });
  });
  expressApp.use(((error: unknown, req, res, _next) => {
    // Express and body-parser errors carry the HTTP status to answer (400 bad JSON, 413 too large).
    const declared = (error as { status?: unknown } | null)?.status;
    const status = typeof declared === "number" && declared >= 400 && declared < 500 ? declared : 500;
    if (status === 500) req.log.error({ err: error }, "Request failed");
    const message =
      status === 413 ? "Request body too large" : status === 500 ? "Internal server error" : "Bad request";
    res
      .status(status)
      .json({ errors: [{ message, extensions: { code: status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST" } }] });
  }) satisfies ErrorRequestHandler);

  lastUsed.start();

  return {
    server,
    verifier,
    lastUsed,
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
      await apollo.stop();
      await lastUsed.stop();
    },
  };
}

/**
 * The client address for the audit trail. Behind a trusted proxy Express reads X-Forwarded-For,
 * which is only as honest as that proxy; anything that is not an IP address is ignored.
 */
function clientIp(req: Request): string | null {
  if (req.ip && isIP(req.ip)) return req.ip;
  return req.socket.remoteAddress ?? null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
