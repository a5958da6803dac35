/**
 * How a host portal connects the Keyturn widget — the one file to copy.
 *
 * The widget never sees the portal's session. When it starts, and whenever Keyturn answers
 * UNAUTHENTICATED, it calls its `getAccessToken()`, which fetches this route. The route:
 *
 *   1. trusts only the portal's own session to know who is signed in;
 *   2. decides that person's role in the requested project by the portal's own rules;
 *   3. signs a short-lived JWT that Keyturn accepts: HS256 with the AUTH_JWT_SECRET Keyturn is
 *      configured with (or RS256/ES256 with your identity provider's key, if Keyturn has an
 *      AUTH_JWKS_URL), `sub` naming the person, `projects` mapping the one project to
 *      "admin" or "viewer", and `exp` five minutes away.
 *
 * One project per token and a few minutes of life keep a leaked token worth little.
 */
import type { Request, RequestHandler } from "express";
import { SignJWT } from "jose";

export interface KeyturnTokenOptions {
  /** Keyturn's AUTH_JWT_SECRET (keep it in your secret store, never in the browser). */
  secret: string;
  /** Keyturn's AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE, if it checks them. */
  issuer?: string;
  audience?: string;
  /** Who is signed in, from your own session; null sends 401. */
  signedInUser: (req: Request) => { id: string } | null;
  /** Their role in the project by your own rules; undefined sends 403. */
  roleIn: (user: { id: string }, projectId: string) => "admin" | "viewer" | undefined;
}

const TOKEN_LIFETIME = "5m";

export function keyturnTokenRoute(options: KeyturnTokenOptions): RequestHandler {
  const key = new TextEncoder().encode(options.secret);
  return async (req, res) => {
    // Never let a browser or proxy keep a token.
    res.set("cache-control", "no-store");
    const user = options.signedInUser(req);
    if (!user) {
      res.status(401).json({ error: "Sign in first" });
      return;
    }
    const projectId = typeof req.query.project === "string" ? req.query.project : "";
    const role = options.roleIn(user, projectId);
    if (!role) {
      res.status(403).json({ error: "No access to this project" });
      return;
    }
    let token = new SignJWT({ projects: { [projectId]: role } })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(TOKEN_LIFETIME);
    if (options.issuer) token = token.setIssuer(options.issuer);
    if (options.audience) token = token.setAudience(options.audience);
    res.json({ token: await token.sign(key) });
  };
}
