import type { IncomingMessage, ServerResponse } from "node:http";
import { pathOf } from "../logger";
import { endInOneWrite } from "./end-in-one-write";
import { runMiddleware, type Middleware } from "./middleware";

export interface OperationalRoutesOptions {
  /** Run in order before the answer, as for every request but the verification routes'. */
  middleware: readonly Middleware[];
  /** Whether the instance can serve: the database answers and it is not shutting down. */
  ready: () => Promise<boolean>;
  /** The Prometheus exposition and its content type. */
  metrics: () => Promise<{ contentType: string; text: string }>;
  /** When set, /metrics wants `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  onError: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

type Answer = { status: number; contentType?: string; body: string; headers?: Record<string, string> };

/**
 * /healthz, /readyz and /metrics on node:http, ahead of Express, with the same middleware.
 * Orchestrators' probes and Prometheus's scrapes reach them all day, and Express gives each request
 * and response it serves prototypes of its own, which Node's HTTP and stream code, run by every
 * request, then meets beside the verification routes' plain ones. After 1,000 `GET /healthz`
 * through Express the cached verification route ran ≈ 10 % slower in an A/B (bench/notes.md,
 * 2026-12-06); shared inline caches gone megamorphic is our reading. The paths match as Express's
 * did (any case, one trailing slash); GET and HEAD are answered, OPTIONS with what is allowed, and
 * anything else is left to Express.
 */
export function operationalRoutes({ middleware, ready, metrics, metricsToken, onError }: OperationalRoutesOptions) {
  const routes: Record<OperationalPath, (req: IncomingMessage) => Promise<Answer>> = {
    "/healthz": () => Promise.resolve(json(200, { status: "ok" })),
    "/readyz": async () => ((await ready()) ? json(200, { status: "ready" }) : json(503, { status: "unavailable" })),
    "/metrics": async (req) => {
      if (metricsToken && req.headers.authorization !== `Bearer ${metricsToken}`) {
        return json(401, { error: "Metrics need the METRICS_TOKEN" }, { "www-authenticate": "Bearer" });
      }
      const { contentType, text } = await metrics();
      return { status: 200, contentType, body: text };
    },
  };

  /** Answers the request and returns true if it is an operational route; otherwise leaves it alone. */
  return function handleOperational(req: IncomingMessage, res: ServerResponse): boolean {
    const { method } = req;
    if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") return false;
    const path = operationalPath(req.url);
    if (path === undefined) return false;
    const route = routes[path];
    const fail = (error: unknown) => onError(error, req, res);
    const respond = async () => send(res, method === "OPTIONS" ? ALLOWED : await route(req));
    runMiddleware(middleware, req, res, () => void respond().catch(fail), fail);
    return true;
  };
}

const ALLOWED: Answer = { status: 204, body: "", headers: { allow: "GET, HEAD" } };

const PATHS = ["/healthz", "/readyz", "/metrics"] as const;
type OperationalPath = (typeof PATHS)[number];
const KNOWN: ReadonlySet<string> = new Set(PATHS);

/** Whether the path is one of these routes' (whatever the method): the request log leaves their completions out. */
export function isOperationalPath(url: string | undefined): boolean {
  return operationalPath(url) !== undefined;
}

function operationalPath(url: string | undefined): OperationalPath | undefined {
  const path = routePath(url);
  return KNOWN.has(path) ? (path as OperationalPath) : undefined;
}

/** The path as Express's router matched it: any case, and one trailing slash allowed. */
function routePath(url: string | undefined): string {
  const path = pathOf(url).toLowerCase();
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function json(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return {
    status,
    contentType: "application/json; charset=utf-8",
    body: JSON.stringify(body),
    ...(headers && { headers }),
  };
}

/** After the middleware's headers (security headers, the request id); a HEAD gets no body from Node. */
function send(res: ServerResponse, { status, contentType, body, headers }: Answer): void {
  res.statusCode = status;
  if (contentType) res.setHeader("content-type", contentType);
  if (headers) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  endInOneWrite(res, body);
}
