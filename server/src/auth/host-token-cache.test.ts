import "../../test/support/count-jwt-verifications";
import { beforeEach, describe, expect, it, jest } from "@jest/globals";
import { SignJWT, jwtVerify } from "jose";
import type { AuthConfig } from "../config";
import { HostTokenVerifier } from "./host-token-verifier";

const SECRET = "host-portal-shared-secret-0123456789abcdef";
const TOLERANCE_SECONDS = 5;
const config: AuthConfig = { jwtSecret: SECRET, algorithms: ["HS256"], clockToleranceSeconds: TOLERANCE_SECONDS };
const START_MS = Date.parse("2026-06-01T12:00:00Z");
const verifications = jest.mocked(jwtVerify);

function sign(sub: string, expSeconds: number): Promise<string> {
  return new SignJWT({ sub, projects: { shop: "admin" } })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime(expSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

describe("HostTokenVerifier: tokens already verified", () => {
  let nowMs = START_MS;
  let verifier: HostTokenVerifier;
  const authenticate = (token: string) => verifier.authenticate(`Bearer ${token}`);

  beforeEach(() => {
    nowMs = START_MS;
    verifier = new HostTokenVerifier(config, () => nowMs);
    verifications.mockClear();
  });

  it("are not verified again within a minute: the same principal comes back", async () => {
    const token = await sign("alice@example.com", START_MS / 1000 + 3600);
    const first = await authenticate(token);
    nowMs += 59_000;
    const again = await authenticate(token);
    expect(first.status).toBe("AUTHENTICATED");
    expect(again).toEqual(first);
    expect(verifications).toHaveBeenCalledTimes(1);

    // Another token is verified on its own.
    await authenticate(await sign("bob@example.com", START_MS / 1000 + 3600));
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it("are verified again after a minute", async () => {
    const token = await sign("alice@example.com", START_MS / 1000 + 3600);
    await authenticate(token);
    nowMs += 60_000;
    expect((await authenticate(token)).status).toBe("AUTHENTICATED");
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it("stop being accepted when the token expires (beyond the clock tolerance), however recently seen", async () => {
    const expSeconds = START_MS / 1000 + 20;
    const token = await sign("alice@example.com", expSeconds);
    expect((await authenticate(token)).status).toBe("AUTHENTICATED");
    nowMs = (expSeconds + TOLERANCE_SECONDS) * 1000 - 1;
    expect((await authenticate(token)).status).toBe("AUTHENTICATED");
    expect(verifications).toHaveBeenCalledTimes(1);
    nowMs += 1;
    expect(await authenticate(token)).toEqual({
      status: "REJECTED",
      reason: "INVALID_TOKEN",
      detail: "ERR_JWT_EXPIRED",
    });
  });

  it("never include a refused token: it is checked every time", async () => {
    const forged = await new SignJWT({ sub: "alice@example.com", projects: { shop: "admin" } })
      .setProtectedHeader({ alg: "HS256" })
      .setExpirationTime(START_MS / 1000 + 3600)
      .sign(new TextEncoder().encode(`${SECRET}-but-another`));
    expect((await authenticate(forged)).status).toBe("REJECTED");
    expect((await authenticate(forged)).status).toBe("REJECTED");
    expect(verifications).toHaveBeenCalledTimes(2);
  });
});
