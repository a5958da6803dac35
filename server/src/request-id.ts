import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

// Accept a caller's id only if it is short and plain; anything else could forge log lines.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Unique per process start, then a counter: as good as a UUID for matching lines, and cheaper on
// the verification hot path.
const INSTANCE = randomUUID().slice(0, 8);
let issued = 0;

/** The caller's `x-request-id` if it is safe, else a new one. The caller echoes it in the response. */
export function requestIdFor(req: IncomingMessage): string {
  return offeredRequestId(req) ?? newRequestId();
}

/** The caller's `x-request-id` if it is safe (a proxy's, say), else undefined. */
export function offeredRequestId(req: IncomingMessage): string | undefined {
  const offered = req.headers["x-request-id"];
  return typeof offered === "string" && SAFE_REQUEST_ID.test(offered) ? offered : undefined;
}

export function newRequestId(): string {
  return `${INSTANCE}-${(++issued).toString(36)}`;
}

/**
 * The request's id, echoed in the response so a client's report can be matched to the server's
 * logs. The id travels with the request's logger (http/request-log.ts, and `log` in the GraphQL
 * context), not in AsyncLocalStorage: on Node 20 a store, once used, puts a hook on every async
 * resource and promise of the process, the verification hot path's included (bench/notes.md).
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const requestId = requestIdFor(req);
  res.setHeader("x-request-id", requestId);
  return requestId;
}
