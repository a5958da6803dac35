import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";

export const SESSION_COOKIE = "acme_portal_session";
const SESSION_HOURS = 8;

interface Session {
  email: string;
  expiresAt: number;
}

/**
 * The portal's own sign-in sessions: a random id in an httpOnly cookie, the session in memory.
 * (A real portal has its own; Keyturn never sees them — it sees only the tokens minted from them.)
 */
export class Sessions {
  private readonly sessions = new Map<string, Session>();

  start(res: Response, email: string, secure: boolean): void {
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { email, expiresAt: Date.now() + SESSION_HOURS * 3600_000 });
    res.cookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: "lax",
      secure,
      path: "/",
      maxAge: SESSION_HOURS * 3600_000,
    });
  }

  /** The signed-in email, or null. */
  current(req: Request): string | null {
    const id = cookie(req, SESSION_COOKIE);
    const session = id ? this.sessions.get(id) : undefined;
    if (!id || !session) return null;
    if (session.expiresAt < Date.now()) {
      this.sessions.delete(id);
      return null;
    }
    return session.email;
  }

  end(req: Request, res: Response): void {
    const id = cookie(req, SESSION_COOKIE);
    if (id) this.sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, { path: "/" });
  }
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}
