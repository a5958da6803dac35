import { join } from "node:path";
import type { Extension } from "@keyturn/server/run";
import express, { type NextFunction, type Request, type Response } from "express";
import { Accounts, DEMO_CREDENTIALS, type Account } from "./demo-accounts";
import type { Html } from "./html";
import { keyturnTokenRoute } from "./keyturn-token";
import { errorPage, generalPage, loginPage, projectsPage, securityPage } from "./pages";
import { PROJECTS, findProject, type Project } from "./projects";
import { Sessions } from "./sessions";

const CLIENT_SOURCE = join(__dirname, "../../client");
const CLIENT_BUILD = join(__dirname, "../client");

// The portal's pages load only their own scripts; inline styles are allowed because the widget's
// dialogs lock scrolling with a small injected stylesheet.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/**
 * The demo host portal: sign-in, a projects list and Projects → Security with the widget. It runs in
 * Keyturn's process for a one-command demo, but talks to Keyturn only as any portal would: the
 * widget calls /graphql, and /portal/api/keyturn-token mints its tokens (keyturn-token.ts).
 */
export const mountPortal: Extension = async (app, { config, logger }) => {
  const { jwtSecret, issuer, audience } = config.auth;
  if (!jwtSecret) {
    logger.warn("The demo portal is off: Keyturn verifies tokens with AUTH_JWKS_URL, and the demo signs HS256 ones");
    return;
  }
  const accounts = await Accounts.open(config.dataDir);
  const sessions = new Sessions();
  const signedIn = (req: Request): Account | undefined => {
    const email = sessions.current(req);
    return email ? accounts.find(email) : undefined;
  };
  const send = (res: Response, page: Html, status = 200) => {
    res.status(status).set("cache-control", "no-store").type("html").send(page.value);
  };
  const requireProject = (req: Request, res: Response): { user: Account; project: Project } | null => {
    const user = signedIn(req);
    if (!user) {
      res.redirect(303, "/login");
      return null;
    }
    const project = findProject(String(req.params.projectId));
    if (!project) {
      send(res, errorPage(user, 404, "There is no such project."), 404);
      return null;
    }
    if (!user.roles[project.id]) {
      send(res, errorPage(user, 403, "You have no role in this project."), 403);
      return null;
    }
    return { user, project };
  };

  const portal = express.Router();
  portal.use((_req, res, next) => {
    res.set({
      "content-security-policy": CONTENT_SECURITY_POLICY,
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
    });
    next();
  });
  portal.use(
    "/portal/assets",
    express.static(CLIENT_BUILD, { index: false }),
    express.static(CLIENT_SOURCE, { index: false }),
  );

  portal.get("/", (req, res) => {
    res.redirect(303, signedIn(req) ? "/projects" : "/login");
  });
  portal.get("/login", (req, res) => {
    if (signedIn(req)) {
      res.redirect(303, "/projects");
      return;
    }
    send(res, loginPage({}));
  });
  portal.post("/login", sameOrigin, express.urlencoded({ extended: false, limit: "8kb" }), async (req, res) => {
    const { email, password } = req.body as { email?: unknown; password?: unknown };
    const account =
      typeof email === "string" && typeof password === "string" ? await accounts.signIn(email, password) : null;
    if (!account) {
      send(
        res,
        loginPage({ error: "That email and password do not match.", email: typeof email === "string" ? email : "" }),
        401,
      );
      return;
    }
    sessions.start(res, account.email, req.secure);
    res.redirect(303, "/projects");
  });
  portal.post("/logout", sameOrigin, (req, res) => {
    sessions.end(req, res);
    res.redirect(303, "/login");
  });

  portal.get("/projects", (req, res) => {
    const user = signedIn(req);
    if (!user) {
      res.redirect(303, "/login");
      return;
    }
    send(
      res,
      projectsPage(
        user,
        PROJECTS.filter((project) => user.roles[project.id]),
      ),
    );
  });
  portal.get("/projects/:projectId", (req, res) => {
    res.redirect(303, `/projects/${encodeURIComponent(req.params.projectId)}/settings`);
  });
  portal.get("/projects/:projectId/settings", (req, res) => {
    const found = requireProject(req, res);
    if (found) send(res, generalPage(found.user, found.project));
  });
  portal.get("/projects/:projectId/security", (req, res) => {
    const found = requireProject(req, res);
    if (found) send(res, securityPage(found.user, found.project));
  });

  portal.get(
    "/portal/api/keyturn-token",
    keyturnTokenRoute({
      secret: jwtSecret,
      ...(issuer ? { issuer } : {}),
      ...(audience ? { audience } : {}),
      signedInUser: (req) => {
        const user = signedIn(req);
        return user ? { id: user.email } : null;
      },
      roleIn: (user, projectId) => accounts.find(user.id)?.roles[projectId],
    }),
  );

  app.use(portal);
  logger.info(
    { accounts: DEMO_CREDENTIALS.map(({ email, role }) => ({ email, role })) },
    `Demo portal: open http://${config.http.host}:${config.http.port}/ and sign in as ${DEMO_CREDENTIALS.map(
      ({ email, password }) => `${email} / ${password}`,
    ).join(" or ")}`,
  );
};

/** Refuses form posts from other sites (the session cookie is SameSite=Lax; this is the second lock). */
function sameOrigin(req: Request, res: Response, next: NextFunction): void {
  const origin = req.get("origin");
  if (origin && origin !== `${req.protocol}://${req.get("host") ?? ""}`) {
    res.status(403).type("text").send("Cross-site request refused");
    return;
  }
  next();
}
