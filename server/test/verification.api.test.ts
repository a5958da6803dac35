import { beforeAll, describe, expect, it, jest } from "@jest/globals";
import { CredentialFormat } from "@keyturn/shared";
import { connect } from "node:net";
import { openVerifier } from "../src/verification";
import { describeEachDatabase } from "./support/databases";
import { LIST_SECRETS, REVOKE_SECRET, createSecret, rotateSecret, type Revealed } from "./support/operations";
import { PEPPER, hostToken, useTestServer } from "./support/test-server";

function basic(keyId: string, secret: string): string {
  return `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`;
}

/** One character of the secret changed: a typo the checksum catches. */
function typo(secret: string): string {
  const i = 10;
  return secret.slice(0, i) + (secret[i] === "A" ? "B" : "A") + secret.slice(i + 1);
}

describeEachDatabase("verification", (createDatabase) => {
  const server = useTestServer(createDatabase);
  let admin: string;
  let live: Revealed;
  let revoked: Revealed;
  let rotatedAway: Revealed;

  beforeAll(async () => {
    admin = await hostToken({ acme: "admin" });
    live = await createSecret(server, admin, "acme", "Live");
    revoked = await createSecret(server, admin, "acme", "Revoked");
    await server.graphql(REVOKE_SECRET, { input: { id: revoked.id } }, admin);
    rotatedAway = await createSecret(server, admin, "acme", "Rotated");
    await rotateSecret(server, admin, rotatedAway.id);
  });

  describe("POST /v1/verify", () => {
    it("answers 200 with the project, secret and key for valid credentials", async () => {
      const res = await server.http().post("/v1/verify").send({ keyId: live.keyId, secret: live.secret });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: true, projectId: "acme", secretId: live.id, keyId: live.keyId });
      expect(res.headers["cache-control"]).toBe("no-store");
    });

    it("answers the same 401 for malformed, unknown, wrong, revoked and superseded credentials", async () => {
      const unknownKeyId = (await createSecret(server, admin, "acme")).keyId.replace(/.{6}$/, "");
      const attempts: Array<Record<string, unknown>> = [
        {},
        { keyId: live.keyId },
        { keyId: 42, secret: ["x"] },
        { keyId: live.keyId, secret: "" },
        { keyId: live.keyId, secret: typo(live.secret) },
        { keyId: live.keyId, secret: live.secret.slice(0, -1) },
        { keyId: live.keyId, secret: `${live.secret}\r\nX-Injected: 1` },
        { keyId: live.keyId, secret: "ктsk_" + "é".repeat(38) },
        { keyId: `${unknownKeyId}000000`, secret: live.secret },
        { keyId: live.keyId, secret: revoked.secret },
        { keyId: revoked.keyId, secret: revoked.secret },
        { keyId: rotatedAway.keyId, secret: rotatedAway.secret },
        { keyId: live.secret, secret: live.keyId },
      ];
      for (const attempt of attempts) {
        const res = await server.http().post("/v1/verify").send(attempt);
        expect({ attempt, status: res.status, body: res.body }).toEqual({
          attempt,
          status: 401,
          body: { valid: false },
        });
      }
    });

    it("rejects a bad checksum without touching the database", async () => {
      const fresh = await createSecret(server, admin, "acme", "Checksum");
      const reads = jest.spyOn(server.db, "read");
      try {
        const res = await server
          .http()
          .post("/v1/verify")
          .send({ keyId: fresh.keyId, secret: typo(fresh.secret) });
        expect(res.status).toBe(401);
        expect(reads).not.toHaveBeenCalled();
        // The first good verification reads the database once; then the cache answers.
        await server.http().post("/v1/verify").send({ keyId: fresh.keyId, secret: fresh.secret });
        expect(reads).toHaveBeenCalledTimes(1);
        for (let i = 0; i < 5; i++) {
          await server.http().post("/v1/verify").send({ keyId: fresh.keyId, secret: fresh.secret });
        }
        expect(reads).toHaveBeenCalledTimes(1);
      } finally {
        reads.mockRestore();
      }
    });

    it("stops asking the database about an unknown Key ID once it is cached", async () => {
      // Well formed, valid checksums, but issued by nobody.
      const stranger = new CredentialFormat().generate();
      const reads = jest.spyOn(server.db, "read");
      try {
        for (let i = 0; i < 5; i++) {
          const res = await server.http().post("/v1/verify").send(stranger);
          expect(res.status).toBe(401);
        }
        expect(reads).toHaveBeenCalledTimes(1);
      } finally {
        reads.mockRestore();
      }
    });

    it.each([
      ["a body that is not JSON", "application/json", "{not json", 400],
      ["a form post", "application/x-www-form-urlencoded", "keyId=a&secret=b", 415],
      ["another JSON media type", "application/json-patch+json", "[]", 415],
      ["a body over 4 KB", "application/json", JSON.stringify({ keyId: "x".repeat(5000), secret: "y" }), 413],
      ["JSON that is not an object", "application/json", "null", 401],
    ])("answers %s with a 4xx, never a 5xx", async (_label, contentType, body, status) => {
      const res = await server.http().post("/v1/verify").set("content-type", contentType).send(body);
      expect(res.status).toBe(status);
    });

    it("answers a streamed body over 4 KB once, with 413", async () => {
      // No Content-Length: the limit is found while reading, and the rest of the body still ends.
      const half = "x".repeat(3000);
      const chunked = [half, half].map((part) => `${part.length.toString(16)}\r\n${part}\r\n`).join("");
      const socket = connect(Number(new URL(server.baseUrl).port), "127.0.0.1");
      socket.write(
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
          `Transfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n`,
      );
      const raw = (await socket.toArray()).map((chunk: Buffer) => chunk.toString("latin1")).join("");
      expect(raw.match(/^HTTP\/1\.1 \d+/gm)).toEqual(["HTTP/1.1 413"]);
      expect(server.logs.join("")).not.toContain("could not be written");
    });

    it("answers other methods with 405 and an Allow header", async () => {
      const res = await server.http().get("/v1/verify");
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe("POST");
    });
  });

  describe("GET /analytics/v1/report (HTTP Basic keyId:secret)", () => {
    it("answers 200 with JSON naming the project for valid credentials", async () => {
      const res = await server.http().get("/analytics/v1/report").set("authorization", basic(live.keyId, live.secret));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ projectId: "acme", keyId: live.keyId, report: { period: "last_7_days" } });
    });

    const refusals: Array<[string, () => string | undefined]> = [
      ["no Authorization header", () => undefined],
      ["a Bearer token", () => `Bearer ${live.secret}`],
      ["Basic without a colon", () => `Basic ${Buffer.from(live.secret).toString("base64")}`],
      ["Basic that is not base64", () => "Basic %%%"],
      ["a wrong secret", () => basic(live.keyId, typo(live.secret))],
      ["a revoked secret", () => basic(revoked.keyId, revoked.secret)],
      ["a rotated-away secret", () => basic(rotatedAway.keyId, rotatedAway.secret)],
      ["an over-long header", () => `Basic ${"A".repeat(2_000)}`],
    ];
    it.each(refusals)("answers %s with 401 and a Basic challenge", async (_label, authorization) => {
      const req = server.http().get("/analytics/v1/report");
      const header = authorization();
      if (header) req.set("authorization", header);
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Basic realm="analytics", charset="UTF-8"');
      expect(res.body).toEqual({ error: "Invalid credentials" });
    });
  });

  it("answers pipelined requests whole and in order", async () => {
    // A reply decided while an earlier one on the same connection is still unsent has no socket
    // yet: it must be queued whole, not lost or cut (see send() in verification.routes.ts).
    const body = JSON.stringify({ keyId: live.keyId, secret: live.secret });
    const requests = [
      `GET /analytics/v1/report HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(live.keyId, live.secret)}\r\n\r\n`,
      `POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      `GET /analytics/v1/report HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(live.keyId, typo(live.secret))}\r\nConnection: close\r\n\r\n`,
    ];
    const { port } = new URL(server.baseUrl);
    const socket = connect(Number(port), "127.0.0.1");
    // Not end(): a client's half-close makes Node drop the replies still being decided. The last
    // request asks the server to close the connection once it has answered.
    socket.write(requests.join(""));
    const raw = (await socket.toArray()).map((chunk: Buffer) => chunk.toString("latin1")).join("");

    const replies = raw.split(/(?=HTTP\/1\.1 )/).map((reply) => {
      const [head = "", payload = ""] = reply.split("\r\n\r\n");
      const length = Number(/^content-length: (\d+)$/im.exec(head)?.[1]);
      expect(payload).toHaveLength(length);
      return { status: head.slice(9, 12), body: JSON.parse(payload) as unknown };
    });
    expect(replies).toEqual([
      { status: "200", body: expect.objectContaining({ keyId: live.keyId, projectId: "acme" }) },
      { status: "200", body: expect.objectContaining({ valid: true, keyId: live.keyId }) },
      { status: "401", body: { error: "Invalid credentials" } },
    ]);
  });

  it("answers headers beyond Node's limit with 431, not a 5xx", async () => {
    const res = await server
      .http()
      .get("/analytics/v1/report")
      .set("authorization", `Basic ${"A".repeat(20_000)}`);
    expect(res.status).toBe(431);
  });

  describe("openVerifier, for Node services sharing the database", () => {
    it("gives the same answers as the HTTP route, without migrating or serving", async () => {
      const verifier = await openVerifier({ databaseUrl: server.database.url, pepper: PEPPER });
      try {
        expect(await verifier.verify(live.keyId, live.secret)).toEqual({
          status: "VALID",
          credential: { projectId: "acme", secretId: live.id, keyId: live.keyId },
        });
        expect(await verifier.verify(revoked.keyId, revoked.secret)).toEqual({ status: "INVALID", reason: "REVOKED" });
        expect(await verifier.verify(live.keyId, typo(live.secret))).toEqual({
          status: "INVALID",
          reason: "MALFORMED",
        });
      } finally {
        await verifier.close();
      }
    });

    it("records last-used times, written when it closes", async () => {
      const secret = await createSecret(server, admin, "acme", "In-process");
      const verifier = await openVerifier({ databaseUrl: server.database.url, pepper: PEPPER });
      await verifier.verify(secret.keyId, secret.secret);
      await verifier.close();
      const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, admin);
      const listed = list.data?.apiSecrets.find((s: { id: string }) => s.id === secret.id);
      expect(Date.now() - Date.parse(listed.lastUsedAt)).toBeLessThan(60_000);
    });

    it("refuses everything when given another pepper", async () => {
      const verifier = await openVerifier({ databaseUrl: server.database.url, pepper: `${PEPPER}-rotated` });
      try {
        expect(await verifier.verify(live.keyId, live.secret)).toEqual({ status: "INVALID", reason: "WRONG_SECRET" });
      } finally {
        await verifier.close();
      }
    });
  });

  describe("last used", () => {
    it("is recorded without a write per request, and shown in the list", async () => {
      const secret = await createSecret(server, admin, "acme", "Busy");
      const transaction = jest.spyOn(server.db, "transaction");
      try {
        for (let i = 0; i < 25; i++) {
          const res = await server
            .http()
            .get("/analytics/v1/report")
            .set("authorization", basic(secret.keyId, secret.secret));
          expect(res.status).toBe(200);
        }
        expect(transaction).not.toHaveBeenCalled();
        await server.app.lastUsed.flush();
        expect(transaction).toHaveBeenCalledTimes(1);

        // Within the minute, further uses write nothing.
        await server.http().post("/v1/verify").send({ keyId: secret.keyId, secret: secret.secret });
        await server.app.lastUsed.flush();
        expect(transaction).toHaveBeenCalledTimes(1);
      } finally {
        transaction.mockRestore();
      }
      const list = await server.graphql(LIST_SECRETS, { projectId: "acme" }, admin);
      const listed = list.data?.apiSecrets.find((s: { id: string }) => s.id === secret.id);
      expect(Date.now() - Date.parse(listed.lastUsedAt)).toBeLessThan(60_000);
      expect(listed.credentials[0].lastUsedAt).toBe(listed.lastUsedAt);
    });
  });
});
