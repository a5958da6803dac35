import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { Lexer, Source, TokenKind } from "graphql";
import { ApiSecret } from "../src/api-secrets/api-secret.entity";
import { ApiSecretService } from "../src/api-secrets/api-secret.service";
import { AuditEvent } from "../src/audit/audit-event.entity";
import { AuditEventService } from "../src/audit/audit-event.service";
import { describeEachDatabase } from "./support/databases";
import { CREATE_SECRET, createSecret, errorCode, type Revealed } from "./support/operations";
import { hostToken, startTestServer, useTestServer, type GraphQLBody, type TestServer } from "./support/test-server";

/** Every service method a resolver can reach: a rejected operation must call none of them. */
function spyOnResolvers() {
  const spies = [
    jest.spyOn(ApiSecretService.prototype, "list"),
    jest.spyOn(ApiSecretService.prototype, "create"),
    jest.spyOn(ApiSecretService.prototype, "rotate"),
    jest.spyOn(ApiSecretService.prototype, "revoke"),
    jest.spyOn(AuditEventService.prototype, "page"),
  ];
  return {
    calls: () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** Tokens graphql-js's lexer reads from the document (what maxLexicalTokens counts). */
function countTokens(document: string): number {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
}

/**
 * `__typename` fields appended until the document has exactly `tokens` tokens. Each has its own
 * alias (not counted by the alias limit): thousands of identical fields would instead trip
 * graphql-js's budget for comparing overlapping fields.
 */
function withTokens(prefix: string, suffix: string, tokens: number): string {
  const missing = tokens - countTokens(`${prefix}${suffix}`);
  const aliasedFields = Array.from({ length: Math.floor(missing / 3) }, (_, i) => ` t${i}: __typename`);
  return `${prefix}${aliasedFields.join("")}${" __typename".repeat(missing % 3)}${suffix}`;
}

/** A valid query `depth` levels deep (graphql-armor counts field nesting; __type is not exempt). */
function queryOfDepth(depth: number): string {
  // __type (1) > fields (2) > type (3) > ofType … > name (depth)
  let inner = "name";
  for (let level = depth - 1; level > 3; level--) inner = `ofType { ${inner} }`;
  return `{ apiSecrets(projectId: "acme") { id } __type(name: "Query") { fields { type { ${inner} } } } }`;
}

const aliased = (count: number, field: string) => Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(" ");

const CREATE_FIELD = `createSecret(input: { projectId: "acme" }) { apiSecret { id } }`;
const LIST_FIELD = `apiSecrets(projectId: "acme") { id }`;

// graphql-armor's cost: objects 2, scalars 1, ×1.5 per level, × `first` for a connection. This
// selection costs (2 + 1.5 × (edges 26.75 + pageInfo 5)) × 100 = 4962.5, just under the 5000 limit;
// one more scalar in `node` makes it 5300.
const auditSelection = (extra: string) => `{
  auditEvents(projectId: "acme", first: 100) {
    edges { cursor node { id projectId secretId action actor ip userAgent occurredAt details ${extra} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface HostileCase {
  label: string;
  body: unknown;
  status: number;
  code: string;
}

/** Operations past a limit, each carrying a resolver that would run if the limit failed. */
const HOSTILE: HostileCase[] = [
  { label: "depth 9 (limit 8)", body: { query: queryOfDepth(9) }, status: 400, code: "GRAPHQL_VALIDATION_FAILED" },
  {
    label: "16 aliased createSecret mutations (limit 15)",
    body: { query: `mutation { ${aliased(16, CREATE_FIELD)} }` },
    status: 400,
    code: "GRAPHQL_VALIDATION_FAILED",
  },
  {
    label: "16 aliases hidden in a named fragment",
    body: { query: `query { ...F } fragment F on Query { ${aliased(16, LIST_FIELD)} }` },
    status: 400,
    code: "GRAPHQL_VALIDATION_FAILED",
  },
  {
    label: "16 aliases spread over inline fragments",
    body: { query: `{ ... on Query { ${aliased(8, LIST_FIELD)} } ... on Query { ${aliased(8, LIST_FIELD)} } }` },
    status: 400,
    code: "GRAPHQL_VALIDATION_FAILED",
  },
  {
    label: "cost 5300 (limit 5000)",
    body: { query: auditSelection("__typename") },
    status: 400,
    code: "GRAPHQL_VALIDATION_FAILED",
  },
  {
    label: "21 directives on a mutation (limit 20)",
    body: {
      query: `mutation { createSecret(input: { projectId: "acme" }) { apiSecret { id } ${"__typename @include(if: true) ".repeat(21)}} }`,
    },
    status: 400,
    code: "GRAPHQL_VALIDATION_FAILED",
  },
  {
    label: "2,001 tokens (limit 2,000)",
    body: { query: withTokens(`mutation { ${CREATE_FIELD}`, " }", 2_001) },
    status: 400,
    code: "GRAPHQL_PARSE_FAILED",
  },
  {
    label: "a batched JSON array",
    body: [{ query: `{ ${LIST_FIELD} }` }, { query: `mutation { ${CREATE_FIELD} }` }],
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "a 1 MB document",
    body: { query: `mutation { ${CREATE_FIELD} ${" ".repeat(1_000_000)}}` },
    status: 413,
    code: "BAD_REQUEST",
  },
];

/** The same shapes just inside each limit: they run, so the limits are not simply refusing everything. */
const WITHIN_LIMITS: Array<[string, string, number]> = [
  ["depth 8", queryOfDepth(8), 1],
  ["15 aliases", `{ ${aliased(15, LIST_FIELD)} }`, 15],
  ["cost 4962.5", auditSelection(""), 1],
  ["20 directives", `{ ${LIST_FIELD} ${"__typename @include(if: true) ".repeat(20)}}`, 1],
  ["2,000 tokens", withTokens(`{ ${LIST_FIELD}`, " }", 2_000), 1],
];

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length for the server to check first). */
function postChunked(baseUrl: string, path: string, contentType: string, chunks: string[]): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, baseUrl),
      { method: "POST", headers: { "content-type": contentType, "transfer-encoding": "chunked" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    // The server may answer 413 and stop reading before every chunk is written.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describeEachDatabase("hostile input", (createDatabase) => {
  const server = useTestServer(createDatabase);
  let admin: string;
  let resolvers: ReturnType<typeof spyOnResolvers>;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
  });
  beforeEach(() => {
    resolvers = spyOnResolvers();
  });
  afterEach(() => {
    resolvers.restore();
  });

  const post = (body: unknown) =>
    server.http().post("/graphql").set("authorization", `Bearer ${admin}`).set("content-type", "application/json").send(
      // supertest would serialise an object itself; a string keeps 1 MB documents byte-exact.
      JSON.stringify(body),
    );

  describe("operations past a limit", () => {
    it.each(HOSTILE.map((c) => [c.label, c] as const))(
      "refuses %s before any resolver runs, quickly, without naming the limit",
      async (_label, hostile) => {
        // A trivial query's round trip, measured the same way beside it: what any request costs
        // this process at this moment (a slow phase of the VM, or a second test worker on the
        // other core, makes both dearer).
        let trivialCpuMs = Infinity;
        for (let attempt = 0; attempt < 5; attempt++) {
          const started = process.cpuUsage();
          expect((await post({ query: "{ __typename }" })).status).toBe(200);
          const used = process.cpuUsage(started);
          trivialCpuMs = Math.min(trivialCpuMs, (used.user + used.system) / 1000);
        }
        let leastCpuMs = Infinity;
        for (let attempt = 0; attempt < 5; attempt++) {
          const started = process.cpuUsage();
          const res = await post(hostile.body);
          const used = process.cpuUsage(started);
          leastCpuMs = Math.min(leastCpuMs, (used.user + used.system) / 1000);
          expect(res.status).toBe(hostile.status);
          expect(res.headers["cache-control"]).toBe("no-store");
          const body = res.body as GraphQLBody;
          expect(errorCode(body)).toBe(hostile.code);
          expect(body.data).toBeUndefined();
          // No limit, count or position: nothing that tells a client how close it came.
          expect(body.errors?.[0]?.message).not.toMatch(/\d/);
          expect(JSON.stringify(body)).not.toMatch(/stacktrace|node_modules/);
        }
        expect(resolvers.calls()).toBe(0);
        // The catalogue asks for < 50 ms of server time per rejection (L6). The process's CPU time
        // over the round trip (client and server share it) counts no waits for a core; beyond the
        // trivial query's, it is what the hostile document itself cost. On this VM a slow phase
        // and a second worker took the 16 aliased mutations' round trip from 27–33 ms to 56–71 ms
        // (a CI run of 2026-12-05), so the bound is on that difference, the least of five; a slow
        // parser or validator still fails it.
        expect(leastCpuMs - trivialCpuMs).toBeLessThan(50);
      },
    );

    it.each(WITHIN_LIMITS)("runs %s", async (_label, query, resolverCalls) => {
      const res = await post({ query });
      expect(res.status).toBe(200);
      expect((res.body as GraphQLBody).errors).toBeUndefined();
      expect(resolvers.calls()).toBe(resolverCalls);
    });

    it("wrote nothing for any of them", async () => {
      const manager = server.db.dataSource.manager;
      expect(await manager.count(ApiSecret)).toBe(0);
      expect(await manager.count(AuditEvent)).toBe(0);
    });
  });

  describe("cross-site requests (CSRF prevention)", () => {
    const mutation = JSON.stringify({ query: `mutation { ${CREATE_FIELD} }` });
    it.each([
      ["text/plain", mutation],
      ["text/plain; charset=utf-8", mutation],
      ["application/x-www-form-urlencoded", `query=${encodeURIComponent(`mutation { ${CREATE_FIELD} }`)}`],
      [
        "multipart/form-data; boundary=x",
        `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ __typename }\r\n--x--\r\n`,
      ],
    ])("refuses a %s POST with 400, even with a valid token, and runs nothing", async (contentType, body) => {
      const res = await server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${admin}`)
        .set("content-type", contentType)
        .send(body);
      expect(res.status).toBe(400);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(resolvers.calls()).toBe(0);
    });

    it("refuses a GET query without a preflight-forcing header, and runs one that has it", async () => {
      const plain = await server
        .http()
        .get("/graphql")
        .query({ query: `{ ${LIST_FIELD} }` });
      expect(plain.status).toBe(400);
      expect(resolvers.calls()).toBe(0);
      const preflighted = await server
        .http()
        .get("/graphql")
        .query({ query: `{ ${LIST_FIELD} }` })
        .set("apollo-require-preflight", "true")
        .set("authorization", `Bearer ${admin}`);
      expect(preflighted.status).toBe(200);
      expect(preflighted.headers["cache-control"]).toBe("no-store");
      expect(resolvers.calls()).toBe(1);
    });
  });

  describe("body size limits", () => {
    it("accepts a GraphQL body just under 64 KB", async () => {
      const res = await post({ query: "{ __typename }", variables: { pad: "x".repeat(60_000) } });
      expect(res.status).toBe(200);
    });

    it("answers 413 to a GraphQL body over 64 KB sent chunked, without a Content-Length", async () => {
      const chunk = " ".repeat(16 * 1024);
      const res = await postChunked(server.baseUrl, "/graphql", "application/json", [
        '{"query":"{ __typename }"',
        ...Array.from({ length: 6 }, () => chunk),
        "}",
      ]);
      expect(res.status).toBe(413);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(JSON.parse(res.text)).toEqual({
        errors: [{ message: "Request body too large", extensions: { code: "BAD_REQUEST" } }],
      });
    });

    it("reads a verification body that arrives in several chunks", async () => {
      const { keyId, secret } = await createSecret(server, admin, "acme");
      const body = JSON.stringify({ keyId, secret, note: "ünïcödé" });
      const cut = [10, 40, 70];
      const chunks = [0, ...cut].map((at, i) => body.slice(at, cut[i] ?? body.length));
      expect(chunks.join("")).toBe(body);
      const res = await postChunked(server.baseUrl, "/v1/verify", "application/json", chunks);
      expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({
        status: 200,
        body: expect.objectContaining({ valid: true, keyId }),
      });
    });

    it("answers 413 to a verification body over 4 KB, declared or chunked", async () => {
      const declared = await server
        .http()
        .post("/v1/verify")
        .send({ keyId: "k".repeat(5_000), secret: "s" });
      expect(declared.status).toBe(413);
      const chunked = await postChunked(server.baseUrl, "/v1/verify", "application/json", [
        '{"keyId":"',
        "k".repeat(3_000),
        "k".repeat(3_000),
        '","secret":"s"}',
      ]);
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.text)).toEqual({ error: "Request body too large" });
    });
  });

  describe("response headers", () => {
    const HELMET = {
      "x-content-type-options": "nosniff",
      "x-frame-options": "SAMEORIGIN",
      "strict-transport-security": expect.stringMatching(/^max-age=\d{7,}/),
      "referrer-policy": "no-referrer",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-resource-policy": "same-origin",
      "origin-agent-cluster": "?1",
      "x-dns-prefetch-control": "off",
      "x-download-options": "noopen",
      "x-permitted-cross-domain-policies": "none",
      "x-xss-protection": "0",
    };

    it.each([
      ["POST /graphql", (s: TestServer) => s.http().post("/graphql").send({ query: "{ __typename }" })],
      ["GET /healthz", (s: TestServer) => s.http().get("/healthz")],
      ["GET /readyz", (s: TestServer) => s.http().get("/readyz")],
      ["GET /metrics", (s: TestServer) => s.http().get("/metrics")],
      ["an unknown path", (s: TestServer) => s.http().get("/.env")],
    ])("sets helmet's security headers on %s, and no x-powered-by", async (_label, send) => {
      const res = await send(server);
      expect(res.headers).toMatchObject(HELMET);
      expect(res.headers["x-powered-by"]).toBeUndefined();
      // These routes answer JSON and text; the pages that need a policy set their own.
      expect(res.headers["content-security-policy"]).toBeUndefined();
      expect(res.headers["cross-origin-embedder-policy"]).toBeUndefined();
    });

    it("marks every /graphql response no-store, errors included", async () => {
      const viewer = await hostToken({ acme: "viewer" });
      const responses = [
        await post({ query: `{ ${LIST_FIELD} }` }),
        await server
          .http()
          .post("/graphql")
          .send({ query: `{ ${LIST_FIELD} }` }),
        await server
          .http()
          .post("/graphql")
          .set("authorization", `Bearer ${viewer}`)
          .send({ query: CREATE_SECRET, variables: { input: { projectId: "acme" } } }),
        await post({ query: "{ apiSecrets(" }),
        await post({ query: "{ nope }" }),
        await post({
          query: 'query ($n: Int!) { auditEvents(projectId: "acme", first: $n) { pageInfo { hasNextPage } } }',
          variables: { n: "ten" },
        }),
        await post({ query: 42 }),
        await server.http().post("/graphql").set("content-type", "application/json").send("{ nope"),
        await server
          .http()
          .get("/graphql")
          .query({ query: `mutation { ${CREATE_FIELD} }` })
          .set("apollo-require-preflight", "true"),
        await server.http().put("/graphql").send({ query: "{ __typename }" }),
      ];
      expect(responses.map((res) => [res.status, res.headers["cache-control"]])).toEqual([
        [200, "no-store"],
        [200, "no-store"],
        [200, "no-store"],
        [400, "no-store"],
        [400, "no-store"],
        [400, "no-store"],
        [400, "no-store"],
        [400, "no-store"],
        [405, "no-store"],
        [405, "no-store"],
      ]);
    });

    it("marks the verification routes' answers no-store and nosniff", async () => {
      for (const res of [
        await server.http().post("/v1/verify").send({ keyId: "a", secret: "b" }),
        await server.http().get("/analytics/v1/report"),
        await server.http().delete("/v1/verify"),
      ]) {
        expect(res.headers).toMatchObject({ "cache-control": "no-store", "x-content-type-options": "nosniff" });
      }
    });
  });

  describe("cross-origin requests without CORS_ORIGINS", () => {
    it("gives no origin CORS headers, on the preflight or the request", async () => {
      const preflight = await server
        .http()
        .options("/graphql")
        .set("origin", "https://portal.example.com")
        .set("access-control-request-method", "POST")
        .set("access-control-request-headers", "authorization, content-type");
      expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
      const actual = await server
        .http()
        .post("/graphql")
        .set("origin", "https://portal.example.com")
        .send({ query: "{ __typename }" });
      expect(actual.headers["access-control-allow-origin"]).toBeUndefined();
      expect(actual.headers["access-control-allow-credentials"]).toBeUndefined();
    });
  });
});

describeEachDatabase("schema exposure by environment", (createDatabase) => {
  let admin: string;
  let secret: Revealed;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
  });

  const shared = useTestServer(createDatabase);
  beforeAll(async () => {
    secret = await createSecret(shared, admin, "acme", "Exposure");
  });

  const withServer = async (env: Record<string, string>, run: (server: TestServer) => Promise<void>) => {
    const server = await startTestServer(shared.database, env);
    try {
      await run(server);
    } finally {
      await server.close();
    }
  };

  const TYPO = `query ($p: ID!) { apiSecretz(projectId: $p) { id } }`;
  const FIELD_TYPO = `query ($p: ID!) { apiSecrets(projectId: $p) { nam } }`;

  it("has no introspection and no 'Did you mean' in production", async () => {
    await withServer({ NODE_ENV: "production" }, async (production) => {
      for (const query of ["{ __schema { types { name } } }", '{ __type(name: "ApiSecret") { fields { name } } }']) {
        const body = await production.graphql(query, {}, admin);
        expect(errorCode(body)).toBe("GRAPHQL_VALIDATION_FAILED");
        expect(body.data).toBeUndefined();
      }
      for (const query of [TYPO, FIELD_TYPO]) {
        const body = await production.graphql(query, { p: "acme" }, admin);
        expect(errorCode(body)).toBe("GRAPHQL_VALIDATION_FAILED");
        expect(JSON.stringify(body)).not.toMatch(/Did you mean|apiSecrets"|"name"/);
      }
      // A request that works still works: production only hides the schema.
      const list = await production.graphql(`{ apiSecrets(projectId: "acme") { id } }`, {}, admin);
      expect(list.data?.apiSecrets).toEqual([{ id: secret.id }]);
    });
  });

  it("has both in development, and still no stack traces", async () => {
    await withServer({ NODE_ENV: "development" }, async (development) => {
      const schema = await development.graphql("{ __schema { types { name } } }", {}, admin);
      expect(schema.errors).toBeUndefined();
      expect(schema.data?.__schema.types.map((t: { name: string }) => t.name)).toContain("ApiSecret");
      const typo = await development.graphql(TYPO, { p: "acme" }, admin);
      expect(typo.errors?.[0]?.message).toMatch(/Did you mean "apiSecrets"\?/);
      const fieldTypo = await development.graphql(FIELD_TYPO, { p: "acme" }, admin);
      expect(fieldTypo.errors?.[0]?.message).toMatch(/Did you mean "name"\?/);
      for (const body of [typo, await development.graphql("{ apiSecrets(", {}, admin)]) {
        expect(body.errors?.[0]?.extensions?.stacktrace).toBeUndefined();
      }
    });
  });
});
