import { createSecretKey, type KeyObject } from "node:crypto";
import { isProjectId, isProjectRole, type ProjectRole } from "@keyturn/shared";
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { AuthConfig } from "../config";
import { Principal } from "./principal";

const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+) *$/i;
const MAX_HEADER_LENGTH = 8 * 1024;
const MAX_PROJECTS_PER_TOKEN = 1000;
const MAX_SUBJECT_LENGTH = 255;

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

  constructor(private readonly config: AuthConfig) {
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

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
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
    return principal ? { status: "AUTHENTICATED", principal } : { status: "REJECTED", reason: "INVALID_CLAIMS" };
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
