import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const storage = new AsyncLocalStorage<{ requestId: string }>();

// Accept a caller's id only if it is short and plain; anything else could forge log lines.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id of the request being served, for every log line written while serving it. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Runs `handle` with a request id (the caller's `x-request-id` if it is safe, else a new one), and
 * echoes it in the response so a client's report can be matched to the server's logs.
 */
export function withRequestId(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  storage.run({ requestId: assignRequestId(req, res) }, handle);
}

// Unique per process start, then a counter: as good as a UUID for matching lines, and cheaper on
// the verification hot path.
const INSTANCE = randomUUID().slice(0, 8);
let issued = 0;

/** The caller's `x-request-id` if it is safe, else a new one. The caller echoes it in the response. */
export function requestIdFor(req: IncomingMessage): string {
  const offered = req.headers["x-request-id"];
  return typeof offered === "string" && SAFE_REQUEST_ID.test(offered)
    ? offered
    : `${INSTANCE}-${(++issued).toString(36)}`;
}

function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const requestId = requestIdFor(req);
  res.setHeader("x-request-id", requestId);
  return requestId;
}
