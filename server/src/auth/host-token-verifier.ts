import { createSecretKey, hash, type KeyObject } from "node:crypto";
import { isProjectId, isProjectRole, type ProjectRole } from "@keyturn/shared";
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { LRUCache } from "lru-cache";
import type { AuthConfig } from "../config";
import { Principal } from "./principal";

const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+) *$/i;
const MAX_HEADER_LENGTH = 8 * 1024;
const MAX_PROJECTS_PER_TOKEN = 1000;
const MAX_SUBJECT_LENGTH = 255;
// A verified token is trusted again for at most this long, and never past its exp.
const VERIFIED_TOKEN_TTL_MS = 60_000;
const MAX_VERIFIED_TOKENS = 10_000;

/** Why a presented token was refused; for logs only, clients always see UNAUTHENTICATED. */
export type TokenRejection = "MALFORMED_HEADER" | "INVALID_TOKEN" | "INVALID_CLAIMS";

export type Authentication =
  | { status: "AUTHENTICATED"; principal: Principal }
  | { status: "ANONYMOUS" }
  | { status: "REJECTED"; reason: TokenRejection; detail?: string };

/**
 * Verifies the host portal's `Authorization: Bearer <JWT>`: HS256 with a shared secret, or
 * RS256/ES256 against the host's JWKS. Algorithms are pinned (so `alg: none` and algorithm
 * confusion fail), `exp` and `sub` are required, issuer and audience are checked when configured.
 */
export class HostTokenVerifier {
  private readonly key: KeyObject | JWTVerifyGetKey;
  /**
   * Tokens already verified, by SHA-256 of the token (the token itself is not kept), until
   * min(exp + clock tolerance, VERIFIED_TOKEN_TTL_MS). The widget sends one token with every
   * request until it expires, and jose verifies through WebCrypto (an async job on the thread
   * pool), which cost ~10 % of the server's CPU under mutation load. Only accepted tokens are
   * kept, so a caller without a valid token cannot fill it. A token already seen is not checked
   * against the JWKS again for up to VERIFIED_TOKEN_TTL_MS (jose's own JWKS cache keeps a withdrawn
   * key longer than that anyway; see the README).
   */
  private readonly verified = new LRUCache<string, { principal: Principal; untilMs: number }>({
    max: MAX_VERIFIED_TOKENS,
  });

  constructor(
    private readonly config: AuthConfig,
    private readonly now: () => number = Date.now,
  ) {
    if (config.jwksUrl) {
      this.key = createRemoteJWKSet(config.jwksUrl, { timeoutDuration: 5_000, cooldownDuration: 30_000 });
    } else if (config.jwtSecret) {
      // A KeyObject, not raw bytes: jose imports raw bytes into WebCrypto on every verification,
      // but converts a KeyObject once and keeps the result.
      this.key = createSecretKey(Buffer.from(config.jwtSecret, "utf8"));
    } else {
      throw new Error("AuthConfig needs jwtSecret or jwksUrl");
    }
  }

  async authenticate(authorization: string | undefined): Promise<Authentication> {
    if (authorization === undefined || authorization === "") return { status: "ANONYMOUS" };
    const token = authorization.length <= MAX_HEADER_LENGTH ? BEARER.exec(authorization)?.[1] : undefined;
    if (!token) return { status: "REJECTED", reason: "MALFORMED_HEADER" };

    const nowMs = this.now();
    const cacheKey = hash("sha256", token, "base64");
    const seen = this.verified.get(cacheKey);
    if (seen && nowMs < seen.untilMs) return { status: "AUTHENTICATED", principal: seen.principal };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        currentDate: new Date(nowMs),
        algorithms: this.config.algorithms,
        requiredClaims: ["exp", "sub"],
        clockTolerance: this.config.clockToleranceSeconds,
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
      }));
    } catch (error) {
      return { status: "REJECTED", reason: "INVALID_TOKEN", detail: (error as { code?: string }).code ?? "unknown" };
    }
    const principal = principalFromClaims(payload);
    if (!principal) return { status: "REJECTED", reason: "INVALID_CLAIMS" };
    // requiredClaims makes jose refuse a token without a numeric exp.
    const expiresMs = ((payload.exp ?? 0) + this.config.clockToleranceSeconds) * 1000;
    this.verified.set(cacheKey, { principal, untilMs: Math.min(expiresMs, nowMs + VERIFIED_TOKEN_TTL_MS) });
    return { status: "AUTHENTICATED", principal };
  }
}

/** `sub` names the admin; `projects` maps project id → "admin" | "viewer". Anything else is refused whole. */
function principalFromClaims(payload: JWTPayload): Principal | null {
  const { sub, projects } = payload;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) return null;
  if (typeof projects !== "object" || projects === null || Array.isArray(projects)) return null;
  const entries = Object.entries(projects as Record<string, unknown>);
  if (entries.length > MAX_PROJECTS_PER_TOKEN) return null;
  const roles = new Map<string, ProjectRole>();
  for (const [projectId, role] of entries) {
    if (!isProjectId(projectId) || !isProjectRole(role)) return null;
    roles.set(projectId, role);
  }
  return new Principal(sub, roles);
}
