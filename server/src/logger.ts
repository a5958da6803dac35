import pino, { type Logger } from "pino";
import type { Config } from "./config";

/**
 * Paths that could carry a credential or a host token. Plaintext secrets are kept out of log
 * objects by construction; redaction is the second line of defence.
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  // "*.x" matches one level down only: the same keys at the top level of a log object too.
  "secret",
  "token",
  "password",
  "pepper",
  "jwtSecret",
  "*.secret",
  "*.token",
  "*.password",
  "*.pepper",
  "*.jwtSecret",
];

export function createLogger(config: Pick<Config, "logLevel">, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * Errors are logged with message, code and stack only: TypeORM's QueryFailedError also carries the
 * statement's parameters (hashes, names), which have no place in logs.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  const driverError = (error as { driverError?: { code?: unknown; errno?: unknown } }).driverError;
  return {
    type: error.name,
    message: error.message,
    ...(code !== undefined ? { code } : {}),
    ...(errno !== undefined ? { errno } : {}),
    ...(driverError ? { driverCode: driverError.code, driverErrno: driverError.errno } : {}),
    stack: error.stack,
    ...(error.cause !== undefined ? { cause: serializeError(error.cause) } : {}),
  };
}

/** A request URL without its query string, for logs. */
export function pathOf(url: string | undefined): string {
  const path = url ?? "";
  const query = path.indexOf("?");
  return query < 0 ? path : path.slice(0, query);
}
