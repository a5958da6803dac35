import { randomUUID } from "node:crypto";
import { request as httpRequest, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { afterEach, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { CredentialFormat, ERROR_CODES } from "@keyturn/shared";
import { AuditAction, AuditEvent } from "../src/audit/audit-event.entity";
import { AuditEventService } from "../src/audit/audit-event.service";
import { HostTokenVerifier } from "../src/auth/host-token-verifier";
import { createLogger } from "../src/logger";
import { buildKeyturnSchema } from "../src/schema";
import { describeEachDatabase } from "./support/databases";
import {
  AUDIT_EVENTS,
  CREATE_SECRET,
  LIST_SECRETS,
  REVOKE_SECRET,
  ROTATE_SECRET,
  createSecret,
  errorCode,
  rotateSecret,
} from "./support/operations";
import { JWT_SECRET, hostToken, startTestServer, useTestServer, type TestServer } from "./support/test-server";

/**
 * The observability promise: pino logs with redaction and a request id on every line; Prometheus
 * metrics at /metrics (verification outcomes, mutations by outcome, latency histograms, pool
 * usage, cache hit rate) with bounded labels; and auditEvents' cursor pagination.
 */

// What withRequestId accepts from a caller, and so what every id it issues must look like too.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  req?: Record<string, unknown>;
  res?: { statusCode: number | null };
  [key: string]: unknown;
}

function parseLines(chunks: readonly string[]): LogLine[] {
  return chunks
    .join("")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets the event loop run a little, for any log line that would come after the response. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 30));
}

/**
 * Sends a request and returns it with the log lines written meanwhile, once `expected` lines have
 * been written (the request's line is written on the response's 'close', possibly after the client
 * has read the answer) and a moment more for any unexpected extra line.
 */
async function logged<T>(server: TestServer, expected: number, send: () => PromiseLike<T>) {
  const start = server.logs.length;
  const res = await send();
  await waitFor(() => parseLines(server.logs.slice(start)).length >= expected);
  await settle();
  const raw = server.logs.slice(start).join("").split("\n");
  // One id per line: the request's id is bound once, on its logger.
  for (const line of raw) expect(line.split('"requestId":').length).toBeLessThanOrEqual(2);
  return { res, lines: parseLines(server.logs.slice(start)) };
}

// --- Prometheus text format -------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

class Scrape {
  readonly samples: Sample[];

  constructor(readonly text: string) {
    this.samples = text
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!match) throw new Error(`Not a Prometheus sample: ${line}`);
        const labels: Record<string, string> = {};
        for (const [, key = "", value = ""] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
          labels[key] = value;
        }
        return { name: match[1] ?? "", labels, value: Number(match[3]) };
      });
  }

  /** Samples of `name` whose labels include `labels`. */
  find(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
    );
  }

  /** The value of the one sample of `name` with exactly `labels`; 0 when absent (a counter not yet touched). */
  value(name: string, labels: Record<string, string> = {}): number {
    const matches = this.samples.filter(
      (s) =>
        s.name === name &&
        Object.keys(s.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([key, value]) => s.labels[key] === value),
    );
    if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} is ambiguous`);
    return matches[0]?.value ?? 0;
  }

  /** Every value label `label` takes across the samples of `name`. */
  labelValues(name: string, label: string): string[] {
    return [...new Set(this.find(name).flatMap((s) => (s.labels[label] === undefined ? [] : [s.labels[label]])))];
  }
}

async function scrape(server: TestServer): Promise<Scrape> {
  const res = await server.http().get("/metrics");
  expect(res.status).toBe(200);
  return new Scrape(res.text);
}

/** How much each named series grew between two scrapes. */
function growth(before: Scrape, after: Scrape, series: Array<[string, Record<string, string>?]>) {
  return Object.fromEntries(
    series.map(([name, labels = {}]) => [
      `${name}${JSON.stringify(labels)}`,
      after.value(name, labels) - before.value(name, labels),
    ]),
  );
}

/** A histogram's buckets for these labels, by upper bound, checked to be cumulative and to end at _count. */
function buckets(scraped: Scrape, name: string, labels: Record<string, string> = {}): Map<string, number> {
  const found = scraped
    .find(`${name}_bucket`, labels)
    .map((s) => [s.labels.le ?? "", s.value] as const)
    .sort(([a], [b]) => (a === "+Inf" ? Infinity : Number(a)) - (b === "+Inf" ? Infinity : Number(b)));
  for (let i = 1; i < found.length; i++) expect(found[i]?.[1]).toBeGreaterThanOrEqual(found[i - 1]?.[1] ?? 0);
  expect(found.at(-1)).toEqual(["+Inf", scraped.value(`${name}_count`, labels)]);
  return new Map(found);
}

const basic = (keyId: string, secret: string) => `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`;

/** The secret with its last (checksum) character changed: well-formed prefix, failing checksum. */
const badChecksum = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;

// ------------------------------------------------------------------------------------------------

describeEachDatabase("request ids on every log line", (createDatabase) => {
  // Trace: the most the server ever writes.
  const server = useTestServer(createDatabase, { LOG_LEVEL: "trace" });
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** The lines' messages, each with the request id it carries. */
  const tagged = (lines: LogLine[]) => lines.map((line) => [line.msg, line.requestId]);

  it("tags a successful GraphQL operation's line with the id the response names", async () => {
    const { res, lines } = await logged(server, 1, () =>
      server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${admin}`)
        .send({ query: CREATE_SECRET, variables: { input: { projectId: "acme" } } }),
    );
    expect(res.body.errors).toBeUndefined();
    const id = res.headers["x-request-id"];
    expect(id).toMatch(SAFE_REQUEST_ID);
    expect(tagged(lines)).toEqual([["request completed", id]]);
  });

  it("tags a rejected host token's line and the request's line alike", async () => {
    const { res, lines } = await logged(server, 2, () =>
      server.http().post("/graphql").set("authorization", "Bearer not-a-jwt").send({ query: "{ __typename }" }),
    );
    const id = res.headers["x-request-id"];
    expect(tagged(lines)).toEqual([
      ["Host token rejected", id],
      ["request completed", id],
    ]);
  });

  it("tags the error logged for an internal GraphQL failure", async () => {
    jest.spyOn(AuditEventService.prototype, "page").mockRejectedValueOnce(new Error("observability: boom"));
    const { res, lines } = await logged(server, 2, () =>
      server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${admin}`)
        .send({ query: AUDIT_EVENTS, variables: { projectId: "acme" } }),
    );
    expect(errorCode(res.body)).toBe("INTERNAL_SERVER_ERROR");
    const id = res.headers["x-request-id"];
    expect(tagged(lines)).toEqual([
      ["GraphQL operation failed", id],
      ["request completed", id],
    ]);
    expect(lines[0]?.level).toBe(50);
    expect(JSON.stringify(lines[0]?.err)).toContain("observability: boom");
  });

  it("tags the error logged when the GraphQL context cannot be built", async () => {
    jest.spyOn(HostTokenVerifier.prototype, "authenticate").mockRejectedValueOnce(new Error("observability: ctx"));
    const { res, lines } = await logged(server, 2, () =>
      server.http().post("/graphql").set("authorization", `Bearer ${admin}`).send({ query: "{ __typename }" }),
    );
    expect(res.status).toBe(500);
    const id = res.headers["x-request-id"];
    expect(tagged(lines)).toEqual([
      ["GraphQL operation failed", id],
      ["request errored", id],
    ]);
  });

  it("tags the line of an unexpected failure outside GraphQL (a metrics scrape that throws)", async () => {
    jest.spyOn(server.app.metrics.registry, "metrics").mockRejectedValueOnce(new Error("observability: scrape"));
    const { res, lines } = await logged(server, 1, () => server.http().get("/metrics"));
    expect(res.status).toBe(500);
    expect(tagged(lines)).toEqual([["Request failed", res.headers["x-request-id"]]]);
  });

  it("leaves out the completions of probes and scrapes, on every path their routes answer", async () => {
    for (const path of ["/healthz", "/HEALTHZ", "/readyz/", "/Metrics?format=text"]) {
      const { res, lines } = await logged(server, 0, () => server.http().get(path));
      expect({ path, status: res.status, lines }).toEqual({ path, status: 200, lines: [] });
    }
    // The control: a path the probes do not answer is logged.
    const { lines } = await logged(server, 1, () => server.http().get("/healthz//"));
    expect(lines.map((line) => [line.msg, line.res?.statusCode])).toEqual([["request completed", 404]]);
  });

  it("tags a 404's line", async () => {
    const { res, lines } = await logged(server, 1, () => server.http().get("/no/such/page"));
    expect(res.status).toBe(404);
    expect(tagged(lines)).toEqual([["request completed", res.headers["x-request-id"]]]);
    expect(lines[0]).toMatchObject({ req: { method: "GET", path: "/no/such/page" }, res: { statusCode: 404 } });
  });

  it("gives a verification answer an id only when a line is logged for it (its failure)", async () => {
    const credential = await createSecret(server, admin, "acme");
    const ok = await logged(server, 0, () => server.http().post("/v1/verify").send(credential));
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers).not.toHaveProperty("x-request-id");
    // The hot path writes nothing, so nothing can go untagged.
    expect(ok.lines).toEqual([]);

    const failures: Array<[string, () => PromiseLike<{ status: number; headers: Record<string, string> }>]> = [
      ["rejects", () => server.http().post("/v1/verify").send(credential)],
      [
        "rejects",
        () =>
          server.http().get("/analytics/v1/report").set("authorization", basic(credential.keyId, credential.secret)),
      ],
      ["throws", () => server.http().post("/v1/verify").send(credential)],
    ];
    for (const [how, send] of failures) {
      const spy = jest.spyOn(server.app.verifier, "verify");
      if (how === "throws") {
        spy.mockImplementationOnce(() => {
          throw new Error("observability: verify");
        });
      } else {
        spy.mockImplementationOnce(() => Promise.reject(new Error("observability: verify")));
      }
      const { res, lines } = await logged(server, 1, send);
      spy.mockRestore();
      expect(res.status).toBe(503);
      expect(res.headers["x-request-id"]).toMatch(SAFE_REQUEST_ID);
      expect(tagged(lines)).toEqual([["Verification failed", res.headers["x-request-id"]]]);
    }
  });

  it("logs a verification reply it cannot write, closes that connection and goes on serving", async () => {
    const credential = await createSecret(server, admin, "acme");
    const spy = jest.spyOn(ServerResponse.prototype, "writeHead").mockImplementationOnce(() => {
      throw new Error("observability: writeHead");
    });
    const { res, lines } = await logged(server, 1, () =>
      server
        .http()
        .post("/v1/verify")
        .send(credential)
        .then(
          (answer) => `answered ${answer.status}`,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
    );
    spy.mockRestore();
    expect(res).toMatch(/socket hang up|ECONNRESET/);
    expect(lines).toEqual([
      expect.objectContaining({
        msg: "Verification reply could not be written",
        path: "/v1/verify",
        err: expect.anything(),
      }),
    ]);
    expect((await server.http().post("/v1/verify").send(credential)).status).toBe(200);
  });

  // "request aborted" is written on the response's 'close', which Node emits from the
  // socket, long after the request's handlers returned: the id must be bound to its logger.
  it("tags the line of a request the client aborted", async () => {
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(AuditEventService.prototype, "page").mockImplementationOnce(async () => {
      await answered;
      return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    });
    const start = server.logs.length;
    const url = new URL(server.baseUrl);
    try {
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: url.hostname,
          port: url.port,
          path: "/graphql",
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${admin}`,
            "x-request-id": "aborted-1",
          },
        });
        req.on("error", () => undefined);
        req.end(JSON.stringify({ query: AUDIT_EVENTS, variables: { projectId: "acme" } }));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 100);
      });
      await waitFor(() => parseLines(server.logs.slice(start)).some((line) => line.msg === "request aborted"));
    } finally {
      // Let the held resolver finish, whatever happened, so the server can stop.
      release();
    }
    await settle();
    const lines = parseLines(server.logs.slice(start));
    expect(lines.length).toBeGreaterThan(0);
    expect(tagged(lines)).toEqual(lines.map((line) => [line.msg, "aborted-1"]));
  });

  describe("the caller's x-request-id", () => {
    const routes: Array<
      [string, (id: string) => PromiseLike<{ status: number; headers: Record<string, string> }>, number]
    > = [
      ["GraphQL", (id) => server.http().post("/graphql").set("x-request-id", id).send({ query: "{ __typename }" }), 1],
      ["a 404", (id) => server.http().get("/nowhere").set("x-request-id", id), 1],
      [
        "/v1/verify",
        (id) => server.http().post("/v1/verify").set("x-request-id", id).send({ keyId: "a", secret: "b" }),
        0,
      ],
    ];

    it.each(routes)("is echoed and logged when it is safe (%s)", async (_label, send, expectedLines) => {
      const offered = `client-${randomUUID()}_1.2:3`;
      const { res, lines } = await logged(server, expectedLines, () => send(offered));
      expect(res.headers["x-request-id"]).toBe(offered);
      expect(lines).toHaveLength(expectedLines);
      for (const line of lines) expect(line.requestId).toBe(offered);
    });

    const UNSAFE = [
      ["too long (129 characters)", "a".repeat(129)],
      ["300 characters", `${"r".repeat(296)}-obs`],
      ["a space", "two words"],
      ["a tab", "tab\there"],
      ["JSON that would forge log fields", '","level":60,"msg":"forged'],
      ["a slash and quotes", '../"obs"/'],
      ["empty", ""],
    ];

    it("is dropped when it is unsafe, on a verification answer that logs nothing", async () => {
      for (const [, offered = ""] of UNSAFE) {
        const res = await server
          .http()
          .post("/v1/verify")
          .set("x-request-id", offered)
          .send({ keyId: "a", secret: "b" });
        expect({ offered, id: res.headers["x-request-id"] }).toEqual({ offered, id: undefined });
      }
    });

    const loggedRoutes = routes.filter(([, , expectedLines]) => expectedLines > 0);
    it.each(loggedRoutes)("is replaced by a fresh id when it is unsafe (%s)", async (_label, send, expectedLines) => {
      const issued = new Set<string>();
      for (const [, offered = ""] of UNSAFE) {
        const { res, lines } = await logged(server, expectedLines, () => send(offered));
        const id = res.headers["x-request-id"] ?? "";
        expect({ offered, id, safe: SAFE_REQUEST_ID.test(id) }).toEqual({
          offered,
          id: expect.not.stringMatching(/^$/),
          safe: true,
        });
        expect(id).not.toBe(offered);
        issued.add(id);
        expect(lines).toHaveLength(expectedLines);
        for (const line of lines) expect(line.requestId).toBe(id);
        if (offered.length > 3) expect(server.logs.join("")).not.toContain(offered);
      }
      // Fresh every time.
      expect(issued.size).toBe(UNSAFE.length);
    });

    it("differs between requests that offer none", async () => {
      const ids = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await server.http().get("/healthz")).headers["x-request-id"]);
        ids.push((await server.http().get("/nowhere")).headers["x-request-id"]);
      }
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(SAFE_REQUEST_ID);
    });
  });
});

describeEachDatabase("log redaction", (createDatabase) => {
  const server = useTestServer(createDatabase, { LOG_LEVEL: "trace" });

  it("keeps bearer tokens, Basic credentials, cookies and query strings out of every line", async () => {
    const admin = await hostToken({ acme: "admin" });
    const forged = await hostToken({ acme: "admin" }, { secret: `${JWT_SECRET}-forged` });
    const credential = await createSecret(server, admin, "acme");
    const cookieValue = `cookie-${randomUUID()}`;
    const queryValue = `query-${randomUUID()}`;
    const cookie = `sid=${cookieValue}; theme=dark`;
    const start = server.logs.length;

    const answers = [
      // Accepted and refused host tokens, with a cookie.
      await server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${admin}`)
        .set("cookie", cookie)
        .send({ query: LIST_SECRETS, variables: { projectId: "acme" } }),
      await server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${forged}`)
        .set("cookie", cookie)
        .send({ query: LIST_SECRETS, variables: { projectId: "acme" } }),
      // A real secret as Basic credentials where a bearer token belongs (logged as rejected).
      await server
        .http()
        .post("/graphql")
        .set("authorization", basic(credential.keyId, credential.secret))
        .send({ query: "{ __typename }" }),
      // Basic credentials on the analytics route, and on a mistyped path that Express answers.
      await server
        .http()
        .get("/analytics/v1/report")
        .set("authorization", basic(credential.keyId, credential.secret))
        .set("cookie", cookie),
      await server
        .http()
        .get("/analytics/v1/reports")
        .set("authorization", basic(credential.keyId, credential.secret))
        .set("cookie", cookie),
      // Credentials in a query string and in a verification body.
      await server.http().get(`/nowhere?token=${queryValue}&secret=${credential.secret}`).set("cookie", cookie),
      await server.http().post(`/graphql?token=${queryValue}`).set("cookie", cookie).send({ query: "{ __typename }" }),
      await server.http().post("/v1/verify").set("cookie", cookie).send(credential),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 404, 404, 200, 200]);
    await waitFor(() => parseLines(server.logs.slice(start)).length >= 8);
    await settle();

    const text = server.logs.slice(start).join("");
    const lines = parseLines(server.logs.slice(start));
    // The requests were logged (so the absence below means something): 6 through Express, 2 rejections.
    expect(lines.filter((line) => line.msg === "request completed")).toHaveLength(6);
    expect(lines.filter((line) => line.msg === "Host token rejected")).toHaveLength(2);
    for (const value of [
      admin,
      forged,
      credential.secret,
      basic(credential.keyId, credential.secret).slice("Basic ".length),
      cookieValue,
      queryValue,
    ]) {
      expect({ value, logged: text.includes(value) }).toEqual({ value, logged: false });
    }
    // Requests are logged as method and path only: no headers, no query string.
    for (const line of lines.filter((l) => l.req !== undefined)) {
      expect(Object.keys(line.req ?? {}).sort()).toEqual(["method", "path"]);
      expect(line.req?.path).not.toContain("?");
    }
    expect(text).not.toMatch(/"headers"|"authorization"|"cookie"/i);
    expect(lines.filter((l) => l.req?.path === "/nowhere")).toHaveLength(1);
  });

  it("censors every configured path as [redacted] wherever a header object is logged", () => {
    const written: string[] = [];
    const logger = createLogger(
      { logLevel: "info" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          written.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const values = {
      authorization: `Bearer ${randomUUID()}`,
      cookie: `sid=${randomUUID()}`,
      setCookie: `sid=${randomUUID()}; HttpOnly`,
      secret: `sk_${randomUUID()}`,
      token: `tok_${randomUUID()}`,
      password: `pw_${randomUUID()}`,
      pepper: `pep_${randomUUID()}`,
      jwtSecret: `jwt_${randomUUID()}`,
    };
    logger.info(
      {
        req: { method: "GET", headers: { authorization: values.authorization, cookie: values.cookie, host: "h" } },
        res: { statusCode: 200, headers: { "set-cookie": values.setCookie } },
        input: { secret: values.secret, token: values.token, name: "kept" },
        config: { password: values.password, pepper: values.pepper, jwtSecret: values.jwtSecret },
      },
      "redaction probe",
    );
    const [line] = parseLines(written);
    expect(line).toMatchObject({
      req: { method: "GET", headers: { authorization: "[redacted]", cookie: "[redacted]", host: "h" } },
      res: { statusCode: 200, headers: { "set-cookie": "[redacted]" } },
      input: { secret: "[redacted]", token: "[redacted]", name: "kept" },
      config: { password: "[redacted]", pepper: "[redacted]", jwtSecret: "[redacted]" },
    });
    for (const value of Object.values(values)) expect(written.join("")).not.toContain(value);
  });
  // The "*.secret"-style paths match one level down only: REDACTED_PATHS lists the top-level keys too.
  it("censors the same keys at the top level of a log object", () => {
    const written: string[] = [];
    const logger = createLogger(
      { logLevel: "info" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          written.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const values = { secret: `sk_${randomUUID()}`, token: `tok_${randomUUID()}`, password: `pw_${randomUUID()}` };
    logger.info(values, "top-level probe");
    expect(parseLines(written)[0]).toMatchObject({ secret: "[redacted]", token: "[redacted]", password: "[redacted]" });
  });
});

describeEachDatabase("Prometheus metrics", (createDatabase) => {
  const server = useTestServer(createDatabase);
  const format = new CredentialFormat();
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    admin = await hostToken({ metrics: "admin" });
    viewer = await hostToken({ metrics: "viewer" }, { sub: "victor" });
  });

  it("counts mutations by field and outcome, times them, and counts verifications, cache lookups and entries", async () => {
    const s0 = await scrape(server);

    // Mutations: 2 created, 2 rotated, and 3 refused.
    const revoked = await createSecret(server, admin, "metrics");
    const current = await rotateSecret(server, admin, revoked.id);
    const graced = await createSecret(server, admin, "metrics");
    await rotateSecret(server, admin, graced.id, 60);
    const forbidden = await server.graphql(CREATE_SECRET, { input: { projectId: "metrics" } }, viewer);
    const anonymous = await server.graphql(CREATE_SECRET, { input: { projectId: "metrics" } });
    const missing = await server.graphql(ROTATE_SECRET, { input: { id: randomUUID() } }, admin);
    expect([errorCode(forbidden), errorCode(anonymous), errorCode(missing)]).toEqual([
      "FORBIDDEN",
      "UNAUTHENTICATED",
      "NOT_FOUND",
    ]);
    const s1 = await scrape(server);
    expect(
      growth(s0, s1, [
        ["keyturn_graphql_operations_total", { field: "createSecret", outcome: "ok" }],
        ["keyturn_graphql_operations_total", { field: "rotateSecret", outcome: "ok" }],
        ["keyturn_graphql_operations_total", { field: "createSecret", outcome: "FORBIDDEN" }],
        ["keyturn_graphql_operations_total", { field: "createSecret", outcome: "UNAUTHENTICATED" }],
        ["keyturn_graphql_operations_total", { field: "rotateSecret", outcome: "NOT_FOUND" }],
        ["keyturn_graphql_operations_total", { field: "revokeSecret", outcome: "ok" }],
        ["keyturn_graphql_duration_seconds_count", { field: "createSecret" }],
        ["keyturn_graphql_duration_seconds_count", { field: "rotateSecret" }],
        ["keyturn_graphql_duration_seconds_bucket", { field: "createSecret", le: "+Inf" }],
        ["keyturn_graphql_duration_seconds_bucket", { field: "rotateSecret", le: "+Inf" }],
      ]),
    ).toEqual({
      'keyturn_graphql_operations_total{"field":"createSecret","outcome":"ok"}': 2,
      'keyturn_graphql_operations_total{"field":"rotateSecret","outcome":"ok"}': 2,
      'keyturn_graphql_operations_total{"field":"createSecret","outcome":"FORBIDDEN"}': 1,
      'keyturn_graphql_operations_total{"field":"createSecret","outcome":"UNAUTHENTICATED"}': 1,
      'keyturn_graphql_operations_total{"field":"rotateSecret","outcome":"NOT_FOUND"}': 1,
      'keyturn_graphql_operations_total{"field":"revokeSecret","outcome":"ok"}': 0,
      'keyturn_graphql_duration_seconds_count{"field":"createSecret"}': 4,
      'keyturn_graphql_duration_seconds_count{"field":"rotateSecret"}': 3,
      'keyturn_graphql_duration_seconds_bucket{"field":"createSecret","le":"+Inf"}': 4,
      'keyturn_graphql_duration_seconds_bucket{"field":"rotateSecret","le":"+Inf"}': 3,
    });
    expect(s1.value("keyturn_graphql_duration_seconds_sum", { field: "createSecret" })).toBeGreaterThan(
      s0.value("keyturn_graphql_duration_seconds_sum", { field: "createSecret" }),
    );
    const graphqlBuckets = buckets(s1, "keyturn_graphql_duration_seconds", { field: "createSecret" });
    expect(graphqlBuckets.size).toBeGreaterThanOrEqual(6);

    // The graced credential's 60 s run out.
    server.advanceClock(61_000);
    const unknown = format.generate();
    const verify = (body: object) => server.http().post("/v1/verify").send(body);
    const report = (keyId: string, secret: string) =>
      server.http().get("/analytics/v1/report").set("authorization", basic(keyId, secret));
    const statuses = [
      (await verify(current)).status, // valid, cache miss
      (await verify(current)).status, // valid, hit
      (await report(current.keyId, current.secret)).status, // valid, hit
      (await verify(revoked)).status, // revoked, miss
      (await verify(graced)).status, // expired, miss
      (await verify(unknown)).status, // unknown_key_id, miss
      (await verify(unknown)).status, // unknown_key_id, hit (negative entry)
      (await verify({ keyId: current.keyId, secret: badChecksum(current.secret) })).status, // malformed: a cached Key ID is answered from memory (hit)
      (await verify({ keyId: current.keyId, secret: format.generate().secret })).status, // wrong_secret, hit
      (await report(current.keyId, format.generate().secret)).status, // wrong_secret, hit
      (await server.http().post("/v1/verify").set("content-type", "text/plain").send("x")).status, // bad_request
      (await server.http().get("/v1/verify")).status, // 405: timed, no outcome
    ];
    expect(statuses).toEqual([200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 415, 405]);
    const s2 = await scrape(server);
    const verifications = Object.fromEntries(
      [
        "valid",
        "revoked",
        "expired",
        "unknown_key_id",
        "malformed",
        "wrong_secret",
        "bad_request",
        "rate_limited",
        "unavailable",
      ].map((outcome) => [
        outcome,
        s2.value("keyturn_verifications_total", { outcome }) - s1.value("keyturn_verifications_total", { outcome }),
      ]),
    );
    expect(verifications).toEqual({
      valid: 3,
      revoked: 1,
      expired: 1,
      unknown_key_id: 2,
      malformed: 1,
      wrong_secret: 2,
      bad_request: 1,
      rate_limited: 0,
      unavailable: 0,
    });
    expect(
      growth(s1, s2, [
        ["keyturn_verification_duration_seconds_count"],
        ["keyturn_verification_duration_seconds_bucket", { le: "+Inf" }],
        ["keyturn_credential_cache_lookups_total", { result: "hit" }],
        ["keyturn_credential_cache_lookups_total", { result: "miss" }],
        ["keyturn_credential_cache_lookups_total", { result: "stale" }],
        ["keyturn_credential_cache_entries"],
      ]),
    ).toEqual({
      "keyturn_verification_duration_seconds_count{}": 12,
      'keyturn_verification_duration_seconds_bucket{"le":"+Inf"}': 12,
      'keyturn_credential_cache_lookups_total{"result":"hit"}': 6,
      'keyturn_credential_cache_lookups_total{"result":"miss"}': 4,
      'keyturn_credential_cache_lookups_total{"result":"stale"}': 0,
      "keyturn_credential_cache_entries{}": 4,
    });
    expect(s2.value("keyturn_verification_duration_seconds_sum")).toBeGreaterThan(
      s1.value("keyturn_verification_duration_seconds_sum"),
    );
    const verificationBuckets = buckets(s2, "keyturn_verification_duration_seconds");
    expect(verificationBuckets.size).toBeGreaterThanOrEqual(6);
    // Each answer fell into some finite bucket too (none took anywhere near the largest bound).
    const finite = [...verificationBuckets.keys()].filter((le) => le !== "+Inf").at(-1) ?? "";
    expect(
      s2.value("keyturn_verification_duration_seconds_bucket", { le: finite }) -
        s1.value("keyturn_verification_duration_seconds_bucket", { le: finite }),
    ).toBe(12);

    for (const [name, type] of [
      ["keyturn_verifications_total", "counter"],
      ["keyturn_verification_duration_seconds", "histogram"],
      ["keyturn_graphql_operations_total", "counter"],
      ["keyturn_graphql_duration_seconds", "histogram"],
      ["keyturn_credential_cache_lookups_total", "counter"],
      ["keyturn_credential_cache_entries", "gauge"],
      ["keyturn_db_pool_connections", "gauge"],
      ["keyturn_db_pool_wait_seconds", "histogram"],
    ]) {
      expect(s2.text).toContain(`# TYPE ${name} ${type}\n`);
    }
  });

  it("reports the MySQL pool's open, idle and waiting connections, and how long each operation waited (none on SQLite)", async () => {
    await server.app.lastUsed.flush();
    const pool = (scraped: Scrape) =>
      Object.fromEntries(
        scraped.find("keyturn_db_pool_connections").map((s) => [s.labels.state ?? "", s.value] as const),
      );
    const waits = (scraped: Scrape) => ({
      count: scraped.value("keyturn_db_pool_wait_seconds_count"),
      sum: scraped.value("keyturn_db_pool_wait_seconds_sum"),
    });
    if (server.db.dialect === "sqlite") {
      // One in-process connection, no pool: the gauge is declared but has no samples, and no
      // operation ever waits for a connection.
      const scraped = await scrape(server);
      expect(pool(scraped)).toEqual({});
      expect(scraped.find("keyturn_db_pool_wait_seconds_count")).toHaveLength(1);
      expect(waits(scraped)).toEqual({ count: 0, sum: 0 });
      return;
    }
    const before = await scrape(server);
    const idle = pool(before);
    expect(idle).toEqual({ open: expect.any(Number), idle: idle.open, waiting: 0 });
    expect(idle.open).toBeGreaterThanOrEqual(1);

    // Hold every connection of the pool (10, the default), and ask for one more.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding = 0;
    const holders = Array.from({ length: 10 }, () =>
      server.db.transaction(async (manager) => {
        await manager.query("SELECT 1");
        holding++;
        await gate;
      }),
    );
    let busy: Record<string, number> | undefined;
    let queued: Promise<unknown> | undefined;
    let queuedFor = 0;
    try {
      await waitFor(() => holding === 10);
      const queuedAt = performance.now();
      queued = server.db.execute((manager) => manager.query("SELECT 2")).catch((error: unknown) => error);
      await settle();
      busy = pool(await scrape(server));
      queuedFor = performance.now() - queuedAt;
    } finally {
      // Whatever happened, give the connections back: later tests need them.
      release();
      await Promise.allSettled(holders);
    }
    expect(busy).toEqual({ open: 10, idle: 0, waiting: 1 });
    // The queued work got its connection once one was free.
    expect(await queued).toEqual([{ 2: 2 }]);
    const after = await scrape(server);
    expect(pool(after)).toEqual({ open: 10, idle: 10, waiting: 0 });
    // Eleven acquisitions at least (the holders' and the queued one's), and the queued one alone
    // waited as long as the holders kept every connection after it asked.
    expect(waits(after).count - waits(before).count).toBeGreaterThanOrEqual(11);
    expect((waits(after).sum - waits(before).sum) * 1000).toBeGreaterThanOrEqual(queuedFor);
  });

  it("never takes a label value from the client", async () => {
    const schema = await buildKeyturnSchema();
    const fields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
      Object.keys(type?.getFields() ?? {}),
    );
    const before = await scrape(server);
    const send = (body: Record<string, unknown>) =>
      server.http().post("/graphql").set("authorization", `Bearer ${admin}`).send(body);
    const answers = [
      await send({ query: "{ nonexistentFieldObs }" }),
      await send({ query: "mutation { evilMutationObs(input: 1) }" }),
      await send({ query: '{ aliasObsOne: projectAccess(projectId: "metrics") { role } }' }),
      await send({
        query:
          '{ aliasObsTwo: projectAccess(projectId: "metrics") { role } aliasObsThree: apiSecrets(projectId: "metrics") { id } }',
      }),
      await send({ query: "query OpNameObs { __typename }", operationName: "OpNameObs" }),
      await send({ query: "query A { __typename }", operationName: "NoSuchOperationObs" }),
      await send({
        query: 'query { ...FragObs } fragment FragObs on Query { apiSecrets(projectId: "metrics") { id } }',
      }),
    ];
    expect(answers.map((res) => errorCode(res.body) ?? "ok")).toEqual([
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "ok",
      "ok",
      "ok",
      "OPERATION_RESOLUTION_FAILURE",
      "ok",
    ]);
    for (const keyId of ["keyIdObs", "a".repeat(100), format.generate().keyId.replace(/.$/, "Obs")]) {
      await server.http().post("/v1/verify").send({ keyId, secret: "secretObs" });
    }
    const after = await scrape(server);

    expect(after.text).not.toMatch(/Obs/);
    expect(after.text).not.toContain("a".repeat(100));
    expect(
      growth(before, after, [
        ["keyturn_graphql_operations_total", { field: "none", outcome: "GRAPHQL_VALIDATION_FAILED" }],
        ["keyturn_graphql_operations_total", { field: "none", outcome: "OPERATION_RESOLUTION_FAILURE" }],
        ["keyturn_graphql_operations_total", { field: "projectAccess", outcome: "ok" }],
        ["keyturn_graphql_operations_total", { field: "apiSecrets", outcome: "ok" }],
        ["keyturn_verifications_total", { outcome: "malformed" }],
      ]),
    ).toEqual({
      'keyturn_graphql_operations_total{"field":"none","outcome":"GRAPHQL_VALIDATION_FAILED"}': 2,
      'keyturn_graphql_operations_total{"field":"none","outcome":"OPERATION_RESOLUTION_FAILURE"}': 1,
      // Counted under the field's name, whatever the alias.
      'keyturn_graphql_operations_total{"field":"projectAccess","outcome":"ok"}': 2,
      'keyturn_graphql_operations_total{"field":"apiSecrets","outcome":"ok"}': expect.any(Number),
      'keyturn_verifications_total{"outcome":"malformed"}': 3,
    });
    expect(
      after.value("keyturn_graphql_operations_total", { field: "apiSecrets", outcome: "ok" }) -
        before.value("keyturn_graphql_operations_total", { field: "apiSecrets", outcome: "ok" }),
    ).toBeGreaterThanOrEqual(1);

    // Every label value, across every series, comes from a fixed set.
    for (const name of ["keyturn_graphql_operations_total", "keyturn_graphql_duration_seconds_count"]) {
      for (const field of after.labelValues(name, "field")) expect([...fields, "none"]).toContain(field);
    }
    const codes = ["ok", "error", ...ERROR_CODES, ...Object.values(ApolloServerErrorCode)];
    for (const outcome of after.labelValues("keyturn_graphql_operations_total", "outcome")) {
      expect(codes).toContain(outcome);
    }
    for (const outcome of after.labelValues("keyturn_verifications_total", "outcome")) {
      expect([
        "valid",
        "malformed",
        "unknown_key_id",
        "wrong_secret",
        "revoked",
        "expired",
        "rate_limited",
        "bad_request",
        "unavailable",
      ]).toContain(outcome);
    }
    for (const result of after.labelValues("keyturn_credential_cache_lookups_total", "result")) {
      expect(["hit", "miss", "stale"]).toContain(result);
    }
  });

  it("asks for METRICS_TOKEN when one is configured, and logs neither the token nor the answer", async () => {
    const token = `metrics-${randomUUID()}`;
    const guarded = await startTestServer(server.database, { METRICS_TOKEN: token });
    try {
      const attempts = [
        await guarded.http().get("/metrics"),
        await guarded.http().get("/metrics").set("authorization", "Bearer wrong-token-0123456789"),
        await guarded.http().get("/metrics").set("authorization", `Bearer ${token}x`),
        await guarded
          .http()
          .get("/metrics")
          .set("authorization", `Bearer ${token.slice(0, -1)}`),
        await guarded.http().get("/metrics").set("authorization", token),
        await guarded
          .http()
          .get("/metrics")
          .set("authorization", `Basic ${Buffer.from(`x:${token}`).toString("base64")}`),
        await guarded.http().get(`/metrics?token=${token}`),
      ];
      for (const res of attempts) {
        expect(res.status).toBe(401);
        expect(res.headers["www-authenticate"]).toBe("Bearer");
        expect(res.text).not.toContain("keyturn_");
      }
      const allowed = await guarded.http().get("/metrics").set("authorization", `Bearer ${token}`);
      expect(allowed.status).toBe(200);
      expect(allowed.headers["content-type"]).toMatch(/^text\/plain/);
      expect(new Scrape(allowed.text).find("keyturn_credential_cache_entries")).toHaveLength(1);
      // Without METRICS_TOKEN, /metrics is open (the suite's own server).
      expect((await server.http().get("/metrics")).status).toBe(200);
      await settle();
      expect(guarded.logs.join("")).not.toContain(token);
    } finally {
      await guarded.close();
    }
  });
});

describeEachDatabase("auditEvents cursor pagination", (createDatabase) => {
  const server = useTestServer(createDatabase);
  let admin: string;
  let full: Array<{ cursor: string; node: { id: string; action: string; occurredAt: string; projectId: string } }>;

  interface Connection {
    edges: typeof full;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }

  /** One page as an admin of "paged" (the test fails on errors). */
  const page = async (first: number, after?: string | null): Promise<Connection> => {
    const body = await server.graphql(AUDIT_EVENTS, { projectId: "paged", first, after }, admin);
    expect(body.errors).toBeUndefined();
    return body.data?.auditEvents as Connection;
  };
  const idsOf = (connection: Connection | typeof full) =>
    ("edges" in connection ? connection.edges : connection).map((edge) => edge.node.id);

  /** Walks every page of `size` and returns the ids in order. */
  const walk = async (size: number, projectId = "paged") => {
    const ids: string[] = [];
    const pages: number[] = [];
    let after: string | null = null;
    for (;;) {
      const body = await server.graphql(AUDIT_EVENTS, { projectId, first: size, after }, admin);
      expect(body.errors).toBeUndefined();
      const { edges, pageInfo } = body.data?.auditEvents ?? {};
      pages.push(edges.length);
      ids.push(...edges.map((edge: { node: { id: string } }) => edge.node.id));
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      if (!pageInfo.hasNextPage) return { ids, pages };
      after = pageInfo.endCursor;
    }
  };

  beforeAll(async () => {
    admin = await hostToken({ paged: "admin", other: "admin", ties: "admin" });
    // Five events a second apart: created, rotated, rotated, created, revoked.
    const first = await createSecret(server, admin, "paged");
    server.advanceClock(1_000);
    await rotateSecret(server, admin, first.id);
    server.advanceClock(1_000);
    await rotateSecret(server, admin, first.id);
    server.advanceClock(1_000);
    const second = await createSecret(server, admin, "paged");
    server.advanceClock(1_000);
    const revoked = await server.graphql(REVOKE_SECRET, { input: { id: second.id } }, admin);
    expect(revoked.errors).toBeUndefined();
    server.advanceClock(1_000);
    await createSecret(server, admin, "other");
    const body = await server.graphql(AUDIT_EVENTS, { projectId: "paged", first: 100 }, admin);
    expect(body.errors).toBeUndefined();
    full = body.data?.auditEvents.edges;
  });

  it("lists the project's events only, newest first", () => {
    expect(full.map((edge) => edge.node.action)).toEqual([
      "SECRET_REVOKED",
      "SECRET_CREATED",
      "SECRET_ROTATED",
      "SECRET_ROTATED",
      "SECRET_CREATED",
    ]);
    expect(new Set(full.map((edge) => edge.node.projectId))).toEqual(new Set(["paged"]));
    const times = full.map((edge) => Date.parse(edge.node.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("pages through every event exactly once, with hasNextPage and endCursor", async () => {
    const ids = full.map((edge) => edge.node.id);
    expect(await walk(2)).toEqual({ ids, pages: [2, 2, 1] });
    expect(await walk(1)).toEqual({ ids, pages: [1, 1, 1, 1, 1] });
    expect(await walk(5)).toEqual({ ids, pages: [5] });
    expect(await walk(4)).toEqual({ ids, pages: [4, 1] });
    // Past the last event: an empty page.
    expect(await page(2, full.at(-1)?.cursor)).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });

  it("is stable under inserts: a newer event never shifts or repeats later pages", async () => {
    const firstPage = await page(2);
    expect(idsOf(firstPage)).toEqual(idsOf(full.slice(0, 2)));
    await createSecret(server, admin, "paged");
    const rest = await page(100, firstPage.pageInfo.endCursor);
    expect(idsOf(rest)).toEqual(idsOf(full.slice(2)));
    const [newest] = (await page(1)).edges;
    expect(newest?.node.action).toBe("SECRET_CREATED");
    expect(idsOf(full)).not.toContain(newest?.node.id);
  });

  it("breaks ties on the same millisecond by id, so no event is skipped or repeated", async () => {
    const at = new Date("2030-01-01T00:00:00.123Z");
    const ids = Array.from({ length: 7 }, () => randomUUID());
    await server.db.dataSource.manager.insert(
      AuditEvent,
      ids.map((id) => ({
        id,
        projectId: "ties",
        secretId: randomUUID(),
        action: AuditAction.SECRET_ROTATED,
        actor: "alice@example.com",
        ip: null,
        userAgent: null,
        occurredAt: at,
        details: "{}",
      })),
    );
    const expected = [...ids].sort().reverse();
    expect(await walk(2, "ties")).toEqual({ ids: expected, pages: [2, 2, 2, 1] });
    expect(await walk(3, "ties")).toEqual({ ids: expected, pages: [3, 3, 1] });
  });

  it("refuses a cursor it did not issue, and a page size out of range", async () => {
    for (const after of ["garbage", Buffer.from("not-a-date|nope").toString("base64url"), "a".repeat(201), "a+b/c="]) {
      const body = await server.graphql(AUDIT_EVENTS, { projectId: "paged", first: 2, after }, admin);
      expect({ after, code: errorCode(body), data: body.data }).toEqual({ after, code: "BAD_USER_INPUT", data: null });
    }
    for (const first of [0, 101]) {
      const body = await server.graphql(AUDIT_EVENTS, { projectId: "paged", first }, admin);
      expect(errorCode(body)).toBe("BAD_USER_INPUT");
    }
  });

  it("keeps later pages for admins only: a viewer or another project's admin with a valid cursor is refused", async () => {
    const cursor = full[1]?.cursor;
    const viewer = await hostToken({ paged: "viewer" }, { sub: "victor" });
    const outsider = await hostToken({ other: "admin" }, { sub: "mallory" });
    for (const token of [viewer, outsider]) {
      const body = await server.graphql(AUDIT_EVENTS, { projectId: "paged", first: 2, after: cursor }, token);
      expect({ code: errorCode(body), data: body.data }).toEqual({ code: "FORBIDDEN", data: null });
    }
    const anonymous = await server.graphql(AUDIT_EVENTS, { projectId: "paged", first: 2, after: cursor });
    expect(errorCode(anonymous)).toBe("UNAUTHENTICATED");
  });
});
