import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { pathOf } from "../logger";
import type { Middleware } from "./middleware";

export interface RequestLogOptions {
  /** The request's id, echoed in the response (request-id.ts). */
  requestId: (req: IncomingMessage, res: ServerResponse) => string;
  /** Paths whose requests' completion is not logged: health checks and metrics scrapes. */
  ignore: (path: string) => boolean;
}

export interface RequestLogs {
  /** Gives the request its id and logs its completion; first in every chain but verification's. */
  middleware: Middleware;
  /** The request's logger: each line carries the request's id, method and path. */
  of(req: IncomingMessage): Logger;
}

interface Seen {
  bindings: { req: { method: string | undefined; path: string }; requestId: string };
  log?: Logger;
}

/**
 * Each request's logger, and one line at info when the request completes, as pino-http did:
 * "request completed", "request aborted" or, for a 5xx, "request errored", with the status and
 * the response time. pino-http made two child loggers per request, serialising their bindings,
 * and a third as the request finished, even with info off (the default in production): ≈ 20 µs
 * of each request's CPU on this VM against ≈ 4 µs here (bench/notes.md, 2026-12-03, ninth
 * session). The child is made when something first logs on it, and the completion is listened
 * for only when info is on.
 */
export function requestLogs(logger: Logger, { requestId, ignore }: RequestLogOptions): RequestLogs {
  // Kept beside the request, not on it: a `req.log` accessor defined on each request (tried) gave
  // every request a shape of its own and cost as much as pino-http.
  const seen = new WeakMap<IncomingMessage, Seen>();
  const of = (req: IncomingMessage): Logger => {
    const entry = seen.get(req);
    // A request that never passed the middleware has nothing to be tagged with.
    if (!entry) return logger;
    return (entry.log ??= logger.child(entry.bindings));
  };
  const middleware: Middleware = (req, res, next) => {
    const path = pathOf(req.url);
    seen.set(req, { bindings: { req: { method: req.method, path }, requestId: requestId(req, res) } });
    if (logger.isLevelEnabled("info") && !ignore(path)) {
      const started = Date.now();
      // Node emits 'close' once the response is sent, or when the client went away first.
      res.once("close", () => {
        const fields = { res: { statusCode: res.statusCode }, responseTime: Date.now() - started };
        if (res.statusCode >= 500) {
          of(req).info({ ...fields, err: new Error(`failed with status code ${res.statusCode}`) }, "request errored");
        } else {
          of(req).info(fields, !req.readableAborted && res.writableEnded ? "request completed" : "request aborted");
        }
      });
    }
    next();
  };
  return { middleware, of };
}
