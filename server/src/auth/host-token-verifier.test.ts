import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from "jose";
import type { AuthConfig } from "../config";
import { HostTokenVerifier, type Authentication } from "./host-token-verifier";

const SECRET = "host-portal-shared-secret-0123456789abcdef";
const SECRET_KEY = new TextEncoder().encode(SECRET);
const TOLERANCE_SECONDS = 30;

const now = () => Math.floor(Date.now() / 1000);

/** Claims a well-behaved portal sends; a test overrides or removes (with `undefined`) the ones it is about. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: "alice@example.com",
    exp: now() + 300,
    projects: { shop: "admin", docs: "viewer" },
    ...overrides,
  };
}

function sign(
  payload: Record<string, unknown>,
  { alg = "HS256", key = SECRET_KEY, kid }: { alg?: string; key?: Uint8Array | CryptoKey; kid?: string } = {},
): Promise<string> {
  // undefined claims vanish in JSON, which is how a test leaves a claim out.
  return new SignJWT(payload).setProtectedHeader({ alg, ...(kid ? { kid } : {}) }).sign(key);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function expectAuthenticated(result: Authentication) {
  if (result.status !== "AUTHENTICATED") throw new Error(`expected AUTHENTICATED, got ${JSON.stringify(result)}`);
  return result.principal;
}

describe("HostTokenVerifier", () => {
  describe("with a shared HS256 secret", () => {
    const config: AuthConfig = { jwtSecret: SECRET, algorithms: ["HS256"], clockToleranceSeconds: TOLERANCE_SECONDS };
    const verifier = new HostTokenVerifier(config);
    const authenticate = async (token: string) => verifier.authenticate(`Bearer ${token}`);

    it("authenticates a valid token as its subject with its project roles", async () => {
      const principal = expectAuthenticated(await authenticate(await sign(claims())));
      expect(principal.subject).toBe("alice@example.com");
      expect(principal.roleIn("shop")).toBe("admin");
      expect(principal.roleIn("docs")).toBe("viewer");
    });

    it("lets an admin do what a viewer may, but not a viewer what an admin may", async () => {
      const principal = expectAuthenticated(await authenticate(await sign(claims())));
      expect(principal.has("shop", "admin")).toBe(true);
      expect(principal.has("shop", "viewer")).toBe(true);
      expect(principal.has("docs", "viewer")).toBe(true);
      expect(principal.has("docs", "admin")).toBe(false);
    });

    it("grants nothing on a project the token does not name", async () => {
      const principal = expectAuthenticated(await authenticate(await sign(claims())));
      expect(principal.roleIn("billing")).toBeUndefined();
      expect(principal.has("billing", "viewer")).toBe(false);
      // Names that exist on every plain object must not be mistaken for granted projects.
      expect(principal.roleIn("toString")).toBeUndefined();
      expect(principal.has("constructor", "viewer")).toBe(false);
    });

    it("accepts the scheme in any case and trailing spaces", async () => {
      const token = await sign(claims());
      expect((await verifier.authenticate(`bearer ${token}  `)).status).toBe("AUTHENTICATED");
    });

    it.each([undefined, ""])("treats an Authorization header of %p as anonymous", async (header) => {
      expect(await verifier.authenticate(header)).toEqual({ status: "ANONYMOUS" });
    });

    it.each(["Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer", "Bearer ", "Bearer a.b", "Bearer a.b.c.d", "Token a.b.c"])(
      "refuses the header %p as malformed",
      async (header) => {
        expect(await verifier.authenticate(header)).toEqual({ status: "REJECTED", reason: "MALFORMED_HEADER" });
      },
    );

    it("refuses a 9 KB header as malformed even when the token in it is valid", async () => {
      const token = await sign(claims({ padding: "x".repeat(6_900) }));
      const header = `Bearer ${token}`;
      expect(header.length).toBeGreaterThan(9_000);
      expect(header.length).toBeLessThan(9_500);
      expect(await verifier.authenticate(header)).toEqual({ status: "REJECTED", reason: "MALFORMED_HEADER" });
    });

    it("accepts a large token that stays under the 8 KB header limit", async () => {
      // The counterpart of the 9 KB case: size alone, not the padding claim, is what is refused there.
      const header = `Bearer ${await sign(claims({ padding: "x".repeat(5_500) }))}`;
      expect(header.length).toBeLessThan(8 * 1024);
      expect((await verifier.authenticate(header)).status).toBe("AUTHENTICATED");
    });

    it("refuses a token that expired beyond the clock tolerance", async () => {
      const result = await authenticate(await sign(claims({ exp: now() - TOLERANCE_SECONDS - 60 })));
      expect(result).toEqual({ status: "REJECTED", reason: "INVALID_TOKEN", detail: "ERR_JWT_EXPIRED" });
    });

    it("accepts a token that expired within the clock tolerance", async () => {
      const result = await authenticate(await sign(claims({ exp: now() - 10 })));
      expect(result.status).toBe("AUTHENTICATED");
    });

    it("refuses a token without exp", async () => {
      // A token that never expires would be a permanent key to every project it names.
      const result = await authenticate(await sign(claims({ exp: undefined })));
      expect(result).toMatchObject({ status: "REJECTED", reason: "INVALID_TOKEN" });
    });

    it("refuses a token without sub", async () => {
      const result = await authenticate(await sign(claims({ sub: undefined })));
      expect(result).toMatchObject({ status: "REJECTED", reason: "INVALID_TOKEN" });
    });

    it.each([
      ["empty", ""],
      ["not a string", 42],
      ["longer than 255 characters", "a".repeat(256)],
    ])("refuses a sub that is %s", async (_label, sub) => {
      const result = await authenticate(await sign(claims({ sub })));
      expect(result).toEqual({ status: "REJECTED", reason: "INVALID_CLAIMS" });
    });

    it("refuses a token that is not valid yet", async () => {
      const result = await authenticate(await sign(claims({ nbf: now() + TOLERANCE_SECONDS + 60 })));
      expect(result).toMatchObject({ status: "REJECTED", reason: "INVALID_TOKEN" });
    });

    it("refuses an unsigned alg:none token", async () => {
      const header = base64url({ alg: "none", typ: "JWT" });
      const payload = base64url(claims());
      expect((await authenticate(`${header}.${payload}.`)).status).toBe("REJECTED");
      // With something in the signature slot the header is well formed, so the algorithm pin must refuse it.
      expect(await authenticate(`${header}.${payload}.AAAA`)).toMatchObject({
        status: "REJECTED",
        reason: "INVALID_TOKEN",
      });
    });

    it("refuses a token signed with another secret", async () => {
      const key = new TextEncoder().encode("another-portal-secret-0123456789abcdef");
      const result = await authenticate(await sign(claims(), { key }));
      expect(result).toEqual({
        status: "REJECTED",
        reason: "INVALID_TOKEN",
        detail: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
      });
    });

    it("refuses a token whose payload was changed after signing", async () => {
      const [header, , signature] = (await sign(claims({ projects: { docs: "viewer" } }))).split(".");
      const escalated = base64url(claims({ projects: { docs: "admin" } }));
      const result = await authenticate(`${header}.${escalated}.${signature}`);
      expect(result).toMatchObject({ status: "REJECTED", reason: "INVALID_TOKEN" });
    });

    it("refuses an HS512 token signed with the same secret: the algorithm is pinned", async () => {
      const result = await authenticate(await sign(claims(), { alg: "HS512" }));
      expect(result).toEqual({ status: "REJECTED", reason: "INVALID_TOKEN", detail: "ERR_JOSE_ALG_NOT_ALLOWED" });
    });

    it.each([
      ["not an object", "shop"],
      ["an array", ["shop"]],
      ["null", null],
      ["missing", undefined],
      ["a role other than admin or viewer", { shop: "owner" }],
      ["an invalid project id", { "has space": "admin" }],
      ["one invalid entry among valid ones", { shop: "admin", "": "viewer" }],
    ])("refuses a projects claim that is %s", async (_label, projects) => {
      const result = await authenticate(await sign(claims({ projects })));
      expect(result).toEqual({ status: "REJECTED", reason: "INVALID_CLAIMS" });
    });

    it("authenticates a token that grants no projects", async () => {
      const principal = expectAuthenticated(await authenticate(await sign(claims({ projects: {} }))));
      expect(principal.has("shop", "viewer")).toBe(false);
    });

    describe("with an issuer and an audience configured", () => {
      const pinned = new HostTokenVerifier({ ...config, issuer: "https://portal.example.com", audience: "keyturn" });
      const right = { iss: "https://portal.example.com", aud: "keyturn" };

      it("accepts a token from that issuer for that audience", async () => {
        const result = await pinned.authenticate(`Bearer ${await sign(claims(right))}`);
        expect(result.status).toBe("AUTHENTICATED");
      });

      it.each([
        ["a wrong issuer", { iss: "https://evil.example.com" }],
        ["no issuer", { iss: undefined }],
        ["a wrong audience", { aud: "another-service" }],
        ["no audience", { aud: undefined }],
      ])("refuses a token with %s", async (_label, override) => {
        const result = await pinned.authenticate(`Bearer ${await sign(claims({ ...right, ...override }))}`);
        expect(result).toMatchObject({ status: "REJECTED", reason: "INVALID_TOKEN" });
      });
    });
  });

  describe("with a JWKS", () => {
    let jwksServer: Server;
    let failingServer: Server;
    let failingRequests = 0;
    let verifier: HostTokenVerifier;
    let rsa: CryptoKeyPair;
    let ec: CryptoKeyPair;
    let rsaPublicJwk: JWK;

    const listen = async (server: Server): Promise<URL> => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      return new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`);
    };

    const close = (server: Server | undefined) =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        // fetch keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
        server.close(() => resolve());
      });

    type CryptoKeyPair = { publicKey: CryptoKey; privateKey: CryptoKey };

    beforeAll(async () => {
      rsa = await generateKeyPair("RS256", { extractable: true });
      ec = await generateKeyPair("ES256", { extractable: true });
      rsaPublicJwk = { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
      const ecPublicJwk = { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" };
      const body = JSON.stringify({ keys: [rsaPublicJwk, ecPublicJwk] });

      jwksServer = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      });
      failingServer = createServer((_req, res) => {
        failingRequests++;
        res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      });
      const jwksUrl = await listen(jwksServer);
      await listen(failingServer);
      verifier = new HostTokenVerifier({ jwksUrl, algorithms: ["RS256", "ES256"], clockToleranceSeconds: 5 });
    });

    afterAll(async () => {
      await Promise.all([close(jwksServer), close(failingServer)]);
    });

    it("authenticates an RS256 token signed by a key in the JWKS", async () => {
      const token = await sign(claims(), { alg: "RS256", key: rsa.privateKey, kid: "rsa-1" });
      const principal = expectAuthenticated(await verifier.authenticate(`Bearer ${token}`));
      expect(principal.subject).toBe("alice@example.com");
      expect(principal.roleIn("shop")).toBe("admin");
    });

    it("authenticates an ES256 token signed by a key in the JWKS", async () => {
      const token = await sign(claims(), { alg: "ES256", key: ec.privateKey, kid: "ec-1" });
      expect((await verifier.authenticate(`Bearer ${token}`)).status).toBe("AUTHENTICATED");
    });

    it("refuses a token signed by a key that is not in the JWKS", async () => {
      const stranger = await generateKeyPair("RS256");
      const unknownKid = await sign(claims(), { alg: "RS256", key: stranger.privateKey, kid: "stranger" });
      // Claiming a published kid does not help a key that is not the published one.
      const borrowedKid = await sign(claims(), { alg: "RS256", key: stranger.privateKey, kid: "rsa-1" });
      expect(await verifier.authenticate(`Bearer ${unknownKid}`)).toMatchObject({
        status: "REJECTED",
        reason: "INVALID_TOKEN",
      });
      expect(await verifier.authenticate(`Bearer ${borrowedKid}`)).toEqual({
        status: "REJECTED",
        reason: "INVALID_TOKEN",
        detail: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
      });
    });

    it("refuses an HS256 token keyed with the published RSA public key (algorithm confusion)", async () => {
      // The classic attack: the public key is public, so an HMAC over it is forgeable by anyone.
      const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
      for (const key of [pem, new TextEncoder().encode(JSON.stringify(rsaPublicJwk)), SECRET_KEY]) {
        const token = await sign(claims(), { alg: "HS256", key, kid: "rsa-1" });
        expect(await verifier.authenticate(`Bearer ${token}`)).toEqual({
          status: "REJECTED",
          reason: "INVALID_TOKEN",
          detail: "ERR_JOSE_ALG_NOT_ALLOWED",
        });
      }
    });

    it("refuses, without throwing, when the JWKS endpoint answers 500", async () => {
      const { port } = failingServer.address() as AddressInfo;
      const broken = new HostTokenVerifier({
        jwksUrl: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
        algorithms: ["RS256", "ES256"],
        clockToleranceSeconds: 5,
      });
      const token = await sign(claims(), { alg: "RS256", key: rsa.privateKey, kid: "rsa-1" });
      await expect(broken.authenticate(`Bearer ${token}`)).resolves.toMatchObject({
        status: "REJECTED",
        reason: "INVALID_TOKEN",
      });
      expect(failingRequests).toBeGreaterThan(0);
    });
  });

  it("refuses to be built without a secret or a JWKS URL", () => {
    expect(() => new HostTokenVerifier({ algorithms: ["HS256"], clockToleranceSeconds: 5 })).toThrow(
      "jwtSecret or jwksUrl",
    );
  });
});
