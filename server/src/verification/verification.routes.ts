import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { endInOneWrite } from "../http/end-in-one-write";
import { pathOf } from "../logger";
import type { Metrics, Tally } from "../metrics";
import { NextTurnQueue } from "../next-turn-batch";
import type { RateLimits } from "../rate-limits";
import { newRequestId, offeredRequestId } from "../request-id";
import { basicCredentials } from "./basic-credentials";
import { reportJson, validJson } from "./verification-bodies";
import type { InvalidReason, VerificationResult, Verifier } from "./verifier";

export const VERIFY_PATH = "/v1/verify";
export const ANALYTICS_REPORT_PATH = "/analytics/v1/report";

const MAX_BODY_BYTES = 4 * 1024;
const TOO_LARGE = Symbol("too large");
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

interface Reply {
  status: number;
  /** The body, as JSON text: built by hand for the two hot answers (verification-bodies.ts). */
  json: string;
  headers?: Record<string, string>;
  /** The whole head as writeHead takes it, when it is built once (see send). */
  head?: readonly string[];
}

/** A reply waiting for this turn's writes. */
interface Outgoing {
  res: ServerResponse;
  reply: Reply;
  path: string;
  requestId: string | undefined;
  /** performance.now() when the request arrived: the latency histogram counts up to the write. */
  started: number;
}

/** Synchronous when verification is (a cached credential); a promise when it waits on the database. */
type Handler = (req: IncomingMessage) => Reply | Promise<Reply>;

function jsonReply(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, json: JSON.stringify(body), ...(headers ? { headers } : {}) };
}

/** A reply that is the same every time: its JSON and its head are built once. */
function fixedReply(reply: Reply): Reply {
  return Object.freeze({ ...reply, head: Object.freeze(headOf(reply, undefined)) });
}

const UNAUTHORIZED_BASIC = fixedReply(
  jsonReply(401, { error: "Invalid credentials" }, { "www-authenticate": 'Basic realm="analytics", charset="UTF-8"' }),
);
const NOT_VALID = fixedReply(jsonReply(401, { valid: false }));

const OUTCOME_LABELS = {
  MALFORMED: "malformed",
  UNKNOWN_KEY_ID: "unknown_key_id",
  WRONG_SECRET: "wrong_secret",
  REVOKED: "revoked",
  EXPIRED: "expired",
} as const;

export interface VerificationRoutesOptions {
  verifier: Verifier;
  logger: Logger;
  limits: RateLimits;
  metrics: Metrics;
  /** The client's address (honouring TRUST_PROXY), for per-IP limits. */
  clientIp: (req: IncomingMessage) => string;
}

interface Presented {
  keyId: unknown;
  secret: unknown;
}

/**
 * The Analytics API's hot path, served straight on node:http ahead of Express: one route
 * lookup, a small body read, a local rate-limit check, the verifier, one JSON answer. Every
 * refusal is the same 401 body, whatever the reason, so callers learn nothing about which Key IDs
 * exist; callers with too many failures get 429 and Retry-After.
 */
export function createVerificationRoutes({ verifier, logger, limits, metrics, clientIp }: VerificationRoutesOptions) {
  // One tally per outcome: an increment on the hot path is one addition (see Tally).
  const outcomes = Object.fromEntries(
    [...Object.values(OUTCOME_LABELS), "valid", "rate_limited", "bad_request", "unavailable"].map((outcome) => [
      outcome,
      metrics.tally(metrics.verifications, { outcome }),
    ]),
  ) as Record<(typeof OUTCOME_LABELS)[InvalidReason] | "valid" | "rate_limited" | "bad_request" | "unavailable", Tally>;
  // Replies are written together after this turn's I/O rather than one by one as each request is
  // decided. On loopback a write also delivers to the reader and wakes it; back-to-back writes
  // find the reader awake and the kernel's path warm, and on this VM that cut the write syscall's
  // cost by about 40 % and raised the cached route's throughput by half (bench/notes.md). A lone request
  // waits only for the end of its turn.
  const outgoing = new NextTurnQueue<Outgoing>((queued) => {
    for (const { res, reply, path, requestId, started } of queued) {
      try {
        send(res, reply, requestId);
      } catch (error) {
        // One reply that cannot be written must not keep the rest of the turn's from theirs.
        logger.error({ err: error, path, requestId }, "Verification reply could not be written");
        res.destroy();
      }
      metrics.verificationSeconds.observe((performance.now() - started) / 1000);
    }
  });
  const routes = new Map<string, { method: string; handle: Handler }>([
    [VERIFY_PATH, { method: "POST", handle: verifyRoute }],
    [ANALYTICS_REPORT_PATH, { method: "GET", handle: reportRoute }],
  ]);

  /** Waits for the body with one promise: no async function, whose awaits each cost a turn of the microtask queue. */
  function verifyRoute(req: IncomingMessage): Reply | Promise<Reply> {
    if (!JSON_CONTENT_TYPE.test(req.headers["content-type"] ?? "")) {
      return badRequest(415, "Content-Type must be application/json");
    }
    return new Promise((resolve, reject) => {
      readBody(
        req,
        (body) => {
          try {
            resolve(verifyBody(req, body));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        reject,
      );
    });
  }

  function verifyBody(req: IncomingMessage, body: string | typeof TOO_LARGE): Reply | Promise<Reply> {
    if (body === TOO_LARGE) return { ...badRequest(413, "Request body too large"), headers: { connection: "close" } };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return badRequest(400, "Request body must be JSON");
    }
    const { keyId, secret } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    return check(req, { keyId, secret }, (result) =>
      result.status === "VALID" ? { status: 200, json: validJson(result.credential) } : NOT_VALID,
    );
  }

  function reportRoute(req: IncomingMessage): Reply | Promise<Reply> {
    return check(req, basicCredentials(req.headers.authorization), (result) => {
      if (result.status === "INVALID") return UNAUTHORIZED_BASIC;
      const { projectId, keyId } = result.credential;
      return { status: 200, json: reportJson(projectId, keyId) };
    });
  }

  /** Rate limits, verification and metrics, the same for both routes. */
  function check(
    req: IncomingMessage,
    presented: Presented,
    answer: (result: VerificationResult) => Reply,
  ): Reply | Promise<Reply> {
    const keyId = typeof presented.keyId === "string" ? presented.keyId : undefined;
    // Nobody is blocked almost all the time: then the client's address is not even looked up.
    const blockedFor = limits.blocksVerifications ? limits.verificationBlockedFor(clientIp(req), keyId) : 0;
    if (blockedFor > 0) {
      outcomes.rate_limited.inc();
      return jsonReply(
        429,
        { error: "Too many failed verifications", retryAfterSeconds: blockedFor },
        { "retry-after": String(blockedFor) },
      );
    }
    const settle = (result: VerificationResult): Reply => {
      if (result.status === "INVALID") {
        // Only a wrong secret for a stored Key ID is a guess at that credential's secret, so only it
        // counts against the Key ID. Others count against the IP alone: a malformed secret cannot
        // match, a revoked credential's right one is no guess, and attackers choose unknown Key IDs
        // freely (a count for each would be a record per random string).
        limits.countFailedVerification(clientIp(req), result.reason === "WRONG_SECRET" ? keyId : undefined);
        outcomes[OUTCOME_LABELS[result.reason]].inc();
      } else {
        outcomes.valid.inc();
      }
      return answer(result);
    };
    const result = verifier.verify(presented.keyId, presented.secret);
    return result instanceof Promise ? result.then(settle) : settle(result);
  }

  function badRequest(status: number, error: string): Reply {
    outcomes.bad_request.inc();
    return jsonReply(status, { error });
  }

  /** Handles the request and returns true if it is a verification route; otherwise leaves it alone. */
  return function handleVerification(req: IncomingMessage, res: ServerResponse): boolean {
    const path = pathOf(req.url);
    const route = routes.get(path);
    if (!route) return false;
    const started = performance.now();
    // A proxy's id is echoed. Keyturn's own ids name log lines, and these routes log only their
    // failures: an id is minted for those alone, not for every answer of the hot path.
    let requestId = offeredRequestId(req);
    // A request's first reply is the one written (a failure after it is logged and counted only).
    let replied = false;
    const reply = (value: Reply) => {
      if (replied) return;
      replied = true;
      outgoing.push({ res, reply: value, path, requestId, started });
    };
    const fail = (error: unknown) => {
      requestId ??= newRequestId();
      logger.error({ err: error, path, requestId }, "Verification failed");
      outcomes.unavailable.inc();
      reply(jsonReply(503, { error: "Verification is temporarily unavailable" }, { "retry-after": "5" }));
    };
    if (req.method !== route.method) {
      reply(jsonReply(405, { error: `Use ${route.method}` }, { allow: route.method }));
      return true;
    }
    try {
      const answer = route.handle(req);
      if (answer instanceof Promise) answer.then(reply, fail);
      else reply(answer);
    } catch (error) {
      fail(error);
    }
    return true;
  };
}

/**
 * One writeHead with every header as a flat list and nothing set before: Node then writes the
 * head as given, skipping the per-header bookkeeping setHeader would do on the hot path. A fixed
 * reply's head is built once (fixedReply), unless a proxy's request id is echoed in it.
 */
function send(res: ServerResponse, reply: Reply, requestId: string | undefined): void {
  // Node reads the list and never changes it, so the frozen one can be shared by every reply.
  const head = requestId === undefined && reply.head ? (reply.head as string[]) : headOf(reply, requestId);
  res.writeHead(reply.status, head);
  endInOneWrite(res, reply.json);
}

function headOf({ json, headers }: Reply, requestId: string | undefined): string[] {
  const head = [
    "content-type",
    "application/json; charset=utf-8",
    "content-length",
    String(Buffer.byteLength(json)),
    "cache-control",
    "no-store",
    "x-content-type-options",
    "nosniff",
  ];
  if (requestId !== undefined) head.push("x-request-id", requestId);
  if (headers) for (const [name, value] of Object.entries(headers)) head.push(name, value);
  return head;
}

/**
 * Hands over the request body as text, or TOO_LARGE past MAX_BODY_BYTES (without buffering the
 * rest), once.
 */
function readBody(
  req: IncomingMessage,
  onBody: (body: string | typeof TOO_LARGE) => void,
  onError: (error: Error) => void,
): void {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    onBody(TOO_LARGE);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on("data", (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      chunks.length = 0;
      onBody(TOO_LARGE);
    } else {
      chunks.push(chunk);
    }
  });
  // One chunk is the usual case (a small body arriving with the headers): no copy then.
  req.on("end", () => {
    if (tooLarge) return;
    const [only] = chunks;
    onBody((chunks.length === 1 && only ? only : Buffer.concat(chunks)).toString("utf8"));
  });
  req.on("error", onError);
}
