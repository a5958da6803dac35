import type { Express } from "express";
import { ruruHTML } from "ruru/server";
import { serveStatic } from "ruru/static";

/**
 * GraphiQL (Graphile's "ruru" build) at GET /graphql for browsers, with its scripts served from
 * this server: it works offline and loads nothing from a CDN. Development only by default.
 */
export function mountPlayground(app: Express, graphqlPath: string): void {
  const staticPath = `${graphqlPath}/static/`;
  const html = ruruHTML({ endpoint: graphqlPath, staticPath });
  const assets = serveStatic(staticPath);
  app.use((req, res, next) => {
    if (req.method === "GET" && req.path.startsWith(staticPath)) {
      assets(req, res, next);
    } else if (
      req.method === "GET" &&
      req.path === graphqlPath &&
      req.accepts(["application/json", "text/html"]) === "text/html"
    ) {
      res.type("html").send(html);
    } else {
      next();
    }
  });
}
