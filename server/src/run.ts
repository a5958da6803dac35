import "reflect-metadata";
import type { Express } from "express";
import type { Logger } from "pino";
import { createApp } from "./app";
import { ConfigError, loadConfig, type Config, type DatabaseConfig } from "./config";
import { Database } from "./database/database";
import { createLogger } from "./logger";

const SHUTDOWN_DEADLINE_MS = 15_000;

/** Adds routes to Keyturn's HTTP app, e.g. a host portal served from the same process. */
export type Extension = (app: Express, context: { config: Config; logger: Logger }) => void | Promise<void>;

/**
 * Runs Keyturn until SIGTERM or SIGINT: config → database (migrations) → app → listen, then a
 * graceful shutdown. `extension` may add routes (the demo portal does).
 */
export async function runKeyturn(extension?: Extension): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  for (const warning of config.warnings) logger.warn(warning);
  const db = await Database.open(config.database, {
    poolSize: config.databasePool.size,
    acquireTimeoutMs: config.databasePool.acquireTimeoutMs,
  }).catch((error: unknown) => {
    throw new StartupError(`Could not open the database DATABASE_URL names (${describe(config.database)})`, error);
  });
  const app = await createApp({
    config,
    db,
    logger,
    ...(extension ? { extend: (express: Express) => extension(express, { config, logger }) } : {}),
  });
  const url = await app.listen().catch((error: unknown) => {
    throw new StartupError(`Could not listen on HOST:PORT (${config.http.host}:${config.http.port})`, error);
  });
  logger.info({ url, database: config.database.type, playground: config.playground }, `Keyturn is ready at ${url}`);

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "Shutting down: draining requests");
    setTimeout(() => {
      logger.error("Shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await app.close();
    await db.close();
    logger.info("Stopped cleanly");
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, (s) => void shutdown(s));
}

/** Prints why the server could not start — one plain line for configuration problems — and exits 1. */
export function exitOnStartupFailure(error: unknown): never {
  console.error(error instanceof ConfigError || error instanceof StartupError ? error.message : error);
  process.exit(1);
}

/** A failure at start that the operator fixes through configuration: printed as one plain line. */
class StartupError extends Error {
  constructor(context: string, cause: unknown) {
    super(`${context}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Where the database is, without credentials. */
function describe(database: DatabaseConfig): string {
  if (database.type === "sqlite") return `sqlite:${database.path}`;
  const where = database.socketPath ?? `${database.host}:${database.port}`;
  return `${database.server} at ${where}, database ${database.database}`;
}
