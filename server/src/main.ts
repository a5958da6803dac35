import "reflect-metadata";
import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config";
import { Database } from "./database/database";
import { createLogger } from "./logger";

const SHUTDOWN_DEADLINE_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  for (const warning of config.warnings) logger.warn(warning);
  const db = await Database.open(config.database);
  const app = await createApp({ config, db, logger });
  const url = await app.listen();
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

main().catch((error: unknown) => {
  // Configuration mistakes get a plain message; anything else its stack.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
