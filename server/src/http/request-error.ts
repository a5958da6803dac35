import type { ServerResponse } from "node:http";
import type { Logger } from "pino";

/**
 * The answer to a request that failed outside GraphQL's own error handling: Express's and
 * body-parser's failures carry the HTTP status to answer (400 bad JSON, 413 too large); anything
 * else is a 500, logged on the request's logger (http/request-log.ts). The body has GraphQL's
 * error shape, since /graphql is where such failures happen.
 */
export function answerRequestError(error: unknown, log: Logger, res: ServerResponse): void {
  const declared = (error as { status?: unknown } | null)?.status;
  const status = typeof declared === "number" && declared >= 400 && declared < 500 ? declared : 500;
  if (status === 500) log.error({ err: error }, "Request failed");
  if (res.headersSent) {
    // Part of another answer is already on the wire: cutting the connection is the only honest end.
    res.destroy();
    return;
  }
  const message = status === 413 ? "Request body too large" : status === 500 ? "Internal server error" : "Bad request";
  const code = status === 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST";
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
