import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "@jest/globals";
import helmet, { type HelmetOptions } from "helmet";
import type { Middleware } from "./middleware";
import { SECURITY_HEADER_OPTIONS, securityHeaders } from "./security-headers";

/**
 * The raw header lines (names as written, in order, Date left out) of a real response that
 * `middleware` ran on, after the server had set an x-powered-by of its own.
 */
async function headerLinesAfter(middleware: Middleware): Promise<string[]> {
  const server = createServer((req, res) => {
    res.setHeader("X-Powered-By", "Express");
    middleware(req, res, (error) => {
      res.statusCode = error === undefined ? 200 : 500;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const raw = await new Promise<string[]>((resolve, reject) => {
      request({ host: "127.0.0.1", port, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.rawHeaders));
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    });
    const lines: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i] !== "Date") lines.push(`${raw[i]}: ${raw[i + 1]}`);
    return lines;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("securityHeaders", () => {
  it.each<[string, HelmetOptions & { contentSecurityPolicy: false }]>([
    ["Keyturn's options", SECURITY_HEADER_OPTIONS],
    ["other options", { ...SECURITY_HEADER_OPTIONS, frameguard: { action: "deny" }, hsts: { maxAge: 60 } }],
  ])("writes exactly the header lines helmet writes, in its order and case, with %s", async (_label, options) => {
    const expected = await headerLinesAfter(helmet(options));
    expect(await headerLinesAfter(securityHeaders(options))).toEqual(expected);
    // What the comparison rests on: helmet's own headers, and its removal of x-powered-by.
    expect(expected).toEqual(
      expect.arrayContaining(["X-Content-Type-Options: nosniff", "Referrer-Policy: no-referrer"]),
    );
    expect(expected.some((line) => line.startsWith("X-Powered-By"))).toBe(false);
  });

  it("keeps a server's x-powered-by where helmet is told to leave it", async () => {
    const options = { ...SECURITY_HEADER_OPTIONS, xPoweredBy: false } as const;
    const lines = await headerLinesAfter(securityHeaders(options));
    expect(lines).toEqual(await headerLinesAfter(helmet(options)));
    expect(lines).toContain("X-Powered-By: Express");
  });

  it("refuses a Content-Security-Policy, which may depend on the request", () => {
    expect(() => securityHeaders({ crossOriginEmbedderPolicy: false })).toThrow(/Content-Security-Policy/);
    expect(() => securityHeaders({ ...SECURITY_HEADER_OPTIONS, contentSecurityPolicy: { useDefaults: true } })).toThrow(
      /Content-Security-Policy/,
    );
  });
});
