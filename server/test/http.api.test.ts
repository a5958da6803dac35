import { IncomingMessage, ServerResponse } from "node:http";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { ApiSecret } from "../src/api-secrets/api-secret.entity";
import { AuditEvent } from "../src/audit/audit-event.entity";
import { describeEachDatabase } from "./support/databases";
import { CREATE_SECRET, LIST_SECRETS, errorCode } from "./support/operations";
import { hostToken, startTestServer, useTestServer } from "./support/test-server";

describeEachDatabase("the HTTP surface", (createDatabase) => {
  const server = useTestServer(createDatabase);
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
  });

  it("reports liveness and readiness", async () => {
    expect((await server.http().get("/healthz")).body).toEqual({ status: "ok" });
    const ready = await server.http().get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready" });
  });

  it("answers a HEAD probe with the GET's status and headers and no body", async () => {
    const res = await server.http().head("/readyz");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["content-length"]).toBe(String(JSON.stringify({ status: "ready" }).length));
    expect(res.text).toBeUndefined();
  });

  it("matches the probes' paths as Express did (any case, one trailing slash) and answers OPTIONS with what is allowed", async () => {
    expect((await server.http().get("/healthz/")).body).toEqual({ status: "ok" });
    expect((await server.http().get("/READYZ")).body).toEqual({ status: "ready" });
    const options = await server.http().options("/healthz");
    expect({ status: options.status, allow: options.headers["allow"] }).toEqual({ status: 204, allow: "GET, HEAD" });
    expect((await server.http().post("/healthz")).status).toBe(404);
    expect((await server.http().get("/healthz//")).status).toBe(404);
  });

  it("answers probes and scrapes without Express, whose own request and response prototypes would reach the shared code the verification routes run", async () => {
    const seen: Array<[string, boolean]> = [];
    // Listeners run in order: by this one's turn Keyturn's has answered or handed the request on.
    const look = (req: IncomingMessage, res: ServerResponse) => {
      const plain =
        Object.getPrototypeOf(req) === IncomingMessage.prototype &&
        Object.getPrototypeOf(res) === ServerResponse.prototype;
      seen.push([req.url ?? "", plain]);
    };
    server.app.server.on("request", look);
    try {
      for (const path of ["/healthz", "/readyz?probe=1", "/metrics", "/"]) {
        expect((await server.http().get(path)).status).toBe(200);
      }
    } finally {
      server.app.server.off("request", look);
    }
    expect(seen).toEqual([
      ["/healthz", true],
      ["/readyz?probe=1", true],
      ["/metrics", true],
      // The control: a route of Express's own.
      ["/", false],
    ]);
  });

  it("marks every GraphQL response no-store, since some carry plaintext secrets", async () => {
    const res = await server
      .http()
      .post("/graphql")
      .set("authorization", `Bearer ${admin}`)
      .send({ query: CREATE_SECRET, variables: { input: { projectId: "acme" } } });
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  describe("refuses hostile requests with a 4xx and no internals", () => {
    it("blocks simple cross-site requests (CSRF prevention)", async () => {
      const res = await server
        .http()
        .post("/graphql")
        .set("content-type", "text/plain")
        .send(JSON.stringify({ query: "{ __typename }" }));
      expect(res.status).toBe(400);
    });

    it("refuses batched operations", async () => {
      const res = await server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${admin}`)
        .send([{ query: "{ __typename }" }, { query: "{ __typename }" }]);
      expect(res.status).toBe(400);
    });

    it("refuses a mutation over GET", async () => {
      const res = await server
        .http()
        .get("/graphql")
        .query({ query: 'mutation { createSecret(input: {projectId: "acme"}) { apiSecret { id } } }' })
        .set("apollo-require-preflight", "true")
        .set("authorization", `Bearer ${admin}`);
      expect(res.status).toBe(405);
      const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, admin);
      expect(list.data?.apiSecrets).toHaveLength(1);
    });

    it("answers malformed JSON with 400 and no stack trace", async () => {
      const res = await server.http().post("/graphql").set("content-type", "application/json").send("{ nope");
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/\bat \w|node_modules|SyntaxError/);
    });

    it("answers a body over 64 KB with 413", async () => {
      const res = await server
        .http()
        .post("/graphql")
        .send({ query: "{ __typename }", variables: { pad: "x".repeat(70_000) } });
      expect(res.status).toBe(413);
      expect(res.text).not.toMatch(/\bat \w|node_modules/);
    });

    it("stops a pathologically deep document at the parser, without internals", async () => {
      const body = await server.graphql(`{ ${"a { ".repeat(3_000)}${"} ".repeat(3_000)}}`, {}, admin);
      expect(errorCode(body)).toBe("GRAPHQL_PARSE_FAILED");
      // Without the limit or the position where it was reached.
      expect(body.errors?.[0]).toEqual({
        message: "Syntax Error: Document is too large.",
        extensions: { code: "GRAPHQL_PARSE_FAILED" },
      });
    });

    it("answers a syntax error in the operation with GRAPHQL_PARSE_FAILED", async () => {
      const body = await server.graphql("{ apiSecrets(", {}, admin);
      expect(errorCode(body)).toBe("GRAPHQL_PARSE_FAILED");
    });

    it("answers unknown paths with a JSON 404", async () => {
      const res = await server.http().get("/wp-admin.php");
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: "Not found" });
    });
  });

  describe("the playground", () => {
    // Its scripts load through a dynamic import() that jest's VM cannot run; main.process.test.ts
    // fetches them from the real server.
    it("serves GraphiQL for browsers, with scripts from this server and no CDN", async () => {
      const page = await server.http().get("/graphql").set("accept", "text/html");
      expect(page.status).toBe(200);
      expect(page.text).toContain("/graphql/static/ruru.js");
      expect(page.text).not.toMatch(/https?:\/\//);
    });

    it("is off in production", async () => {
      const production = await startTestServer(server.database, { NODE_ENV: "production" });
      try {
        const page = await production.http().get("/graphql").set("accept", "text/html");
        expect(page.text).not.toContain("ruru");
        const introspection = await production.graphql("{ __schema { types { name } } }", {}, admin);
        expect(errorCode(introspection)).toBe("GRAPHQL_VALIDATION_FAILED");
        const typo = await production.graphql(
          "query ($p: ID!) { apiSecretz(projectId: $p) { id } }",
          { p: "acme" },
          admin,
        );
        expect(JSON.stringify(typo)).not.toMatch(/Did you mean/);
      } finally {
        await production.close();
      }
    });
  });
});

describeEachDatabase("the audit trail behind a proxy", (createDatabase) => {
  const server = useTestServer(createDatabase, { TRUST_PROXY: "true" });

  it("records the forwarded client address, and ignores one that is not an IP address", async () => {
    const admin = await hostToken({ acme: "admin" });
    for (const [forwarded, expected] of [
      ["203.0.113.7", "203.0.113.7"],
      ["a".repeat(60), expect.stringMatching(/127\.0\.0\.1/)],
    ] as const) {
      const res = await server
        .http()
        .post("/graphql")
        .set("authorization", `Bearer ${admin}`)
        .set("x-forwarded-for", forwarded)
        .send({ query: CREATE_SECRET, variables: { input: { projectId: "acme" } } });
      expect(res.body.errors).toBeUndefined();
      const id = res.body.data.createSecret.apiSecret.id;
      const event = await server.db.dataSource.manager.findOneByOrFail(AuditEvent, { secretId: id });
      expect(event.ip).toEqual(expected);
    }
  });
});

describeEachDatabase("an internal failure", (createDatabase) => {
  const server = useTestServer(createDatabase);
  let admin: string;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
  });

  it("is masked for the client, logged with its cause, and leaves nothing half-written", async () => {
    // Break the database under the running server: the audit insert, last in the transaction, fails.
    await server.db.dataSource.query("DROP TABLE audit_event");
    const body = await server.graphql(CREATE_SECRET, { input: { projectId: "acme", name: "Doomed" } }, admin);

    expect(body.errors).toEqual([
      { message: "Internal server error.", path: ["createSecret"], extensions: { code: "INTERNAL_SERVER_ERROR" } },
    ]);
    expect(JSON.stringify(body)).not.toMatch(/audit_event|SQL|\bER_|sqlite|mysql|stack/i);
    expect(server.logs.join("")).toMatch(/audit_event/);
    expect(await server.db.dataSource.manager.count(ApiSecret)).toBe(0);
    const [project] = await server.db.dataSource.query("SELECT active_secret_count FROM project WHERE id = 'acme'");
    expect(Number(project.active_secret_count)).toBe(0);
  });

  it("turns readiness to 503 while the database is unreachable", async () => {
    await server.db.dataSource.destroy();
    const res = await server.http().get("/readyz");
    expect(res.status).toBe(503);
    expect((await server.http().get("/healthz")).status).toBe(200);
  });
});

describeEachDatabase("cross-origin embedding", (createDatabase) => {
  const server = useTestServer(createDatabase, { CORS_ORIGINS: "https://portal.example.com, http://127.0.0.1:5173" });

  it("lets a listed portal origin call /graphql from the browser, with the Authorization header", async () => {
    const preflight = await server
      .http()
      .options("/graphql")
      .set("origin", "https://portal.example.com")
      .set("access-control-request-method", "POST")
      .set("access-control-request-headers", "authorization, content-type");
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("https://portal.example.com");
    expect(preflight.headers["access-control-allow-headers"]).toMatch(/authorization/);
  });

  it("answers the portal's actual POST with its origin allowed, and another origin's without", async () => {
    const post = (origin: string) =>
      server.http().post("/graphql").set("origin", origin).send({ query: "{ __typename }" });
    const listed = await post("https://portal.example.com");
    expect(listed.status).toBe(200);
    expect(listed.headers["access-control-allow-origin"]).toBe("https://portal.example.com");
    expect((await post("https://evil.example")).headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("gives any other origin no CORS headers", async () => {
    const preflight = await server
      .http()
      .options("/graphql")
      .set("origin", "https://evil.example")
      .set("access-control-request-method", "POST");
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("never opens the verification routes to browsers", async () => {
    const res = await server.http().options("/v1/verify").set("origin", "https://portal.example.com");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
