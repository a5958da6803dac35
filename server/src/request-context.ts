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
  const offered = req.headers["x-request-id"];
  const requestId = typeof offered === "string" && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
  res.setHeader("x-request-id", requestId);
  storage.run({ requestId }, handle);
}
