import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "@jest/globals";
import helmet, { type HelmetOptions } from "helmet";
import type { Middleware } from "./middleware";
import { securityHeaders } from "./security-headers";

const OPTIONS = { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false } as const;

/** The headers of a real response that `middleware` ran on, after `before` set some of its own. */
async function headersAfter(
  middleware: Middleware,
  before: (res: ServerResponse) => void,
): Promise<IncomingHttpHeaders> {
  const server = createServer((req, res) => {
    before(res);
    middleware(req, res, (error) => {
      res.statusCode = error === undefined ? 200 : 500;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      request({ host: "127.0.0.1", port, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.headers));
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    });
  } finally {
    server.close();
  }
}

const withoutDate = ({ date: _date, ...headers }: IncomingHttpHeaders) => headers;

describe("securityHeaders", () => {
  it.each<[string, HelmetOptions & { contentSecurityPolicy: false }]>([
    ["Keyturn's options", OPTIONS],
    ["other options", { ...OPTIONS, frameguard: { action: "deny" }, hsts: { maxAge: 60 }, xPoweredBy: false }],
  ])("gives a response exactly the headers helmet gives it, with %s", async (_label, options) => {
    const poweredBy = (res: ServerResponse) => res.setHeader("x-powered-by", "Express");
    const expected = withoutDate(await headersAfter(helmet(options), poweredBy));
    const replayed = withoutDate(await headersAfter(securityHeaders(options), poweredBy));
    expect(replayed).toEqual(expected);
    expect(replayed).toMatchObject({ "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" });
    expect(Object.keys(replayed).length).toBeGreaterThan(10);
  });

  it("takes helmet's removal of x-powered-by along with its headers", async () => {
    const headers = await headersAfter(securityHeaders(OPTIONS), (res) => res.setHeader("x-powered-by", "Express"));
    expect(headers["x-powered-by"]).toBeUndefined();
  });

  it("refuses a Content-Security-Policy, which may depend on the request", () => {
    expect(() => securityHeaders({ crossOriginEmbedderPolicy: false })).toThrow(/Content-Security-Policy/);
    expect(() => securityHeaders({ ...OPTIONS, contentSecurityPolicy: { useDefaults: true } })).toThrow(
      /Content-Security-Policy/,
    );
  });
});
