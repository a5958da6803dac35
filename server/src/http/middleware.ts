import type { IncomingMessage, ServerResponse } from "node:http";

/** Connect-style middleware, as helmet, cors and body-parser export it. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Runs `middleware` in order as Express would, without its router, then `done`. A failure passed
 * to next() or thrown on the way goes to `onError`, and the rest is skipped.
 */
export function runMiddleware(
  middleware: readonly Middleware[],
  req: IncomingMessage,
  res: ServerResponse,
  done: () => void,
  onError: (error: unknown) => void,
): void {
  let position = 0;
  const next = (error?: unknown): void => {
    // As Express reads it: any value but undefined or null is a failure.
    if (error !== undefined && error !== null) {
      onError(error);
      return;
    }
    const step = middleware[position++];
    try {
      if (step) step(req, res, next);
      else done();
    } catch (failure) {
      onError(failure);
    }
  };
  next();
}
