import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { createLogger } from "../logger";
import { requestLogs } from "./request-log";

interface Line {
  level: number;
  msg: string;
  requestId?: string;
  req?: { method: string; path: string };
  res?: { statusCode: number };
  responseTime?: number;
  err?: { message: string };
}

describe("requestLogs", () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A server behind the middleware whose handler answers `status`, first logging `note` on the request's logger. */
  async function serve(logLevel: "info" | "warn") {
    const lines: Line[] = [];
    const logger = createLogger({ logLevel }, { write: (line: string) => lines.push(JSON.parse(line) as Line) });
    const child = jest.spyOn(logger, "child");
    let issued = 0;
    const logs = requestLogs(logger, {
      requestId: (_req, res) => {
        const id = `id-${++issued}`;
        res.setHeader("x-request-id", id);
        return id;
      },
      ignore: (path) => path === "/healthz",
    });
    server = createServer((req, res) =>
      logs.middleware(req, res, () => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const note = url.searchParams.get("note");
        if (note) logs.of(req).warn(note);
        res.statusCode = Number(url.searchParams.get("status") ?? 200);
        res.end("done");
      }),
    );
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      await res.text();
      // The line is written on the response's 'close', which may come after the client has read it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return res.headers.get("x-request-id");
    };
    return { lines, child, get };
  }

  it("logs each request's completion at info, with its id, method, path, status and time", async () => {
    const { lines, get } = await serve("info");
    const ok = await get("/graphql?token=not-logged");
    const failed = await get("/crash?status=503");
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: "request completed",
        requestId: ok,
        req: { method: "GET", path: "/graphql" },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
      expect.objectContaining({
        level: 30,
        msg: "request errored",
        requestId: failed,
        res: { statusCode: 503 },
        err: expect.objectContaining({ message: "failed with status code 503" }),
      }),
    ]);
  });

  it("tags what a handler logs with the request's id, and leaves out the ignored paths' completion", async () => {
    const { lines, get } = await serve("info");
    const id = await get("/healthz?note=checked");
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: "checked", requestId: id })]);
  });

  it("makes no logger and writes nothing for a request that logs nothing below info", async () => {
    const { lines, child, get } = await serve("warn");
    await get("/graphql");
    await get("/graphql?status=500");
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);

    const id = await get("/graphql?note=noted");
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([
      expect.objectContaining({ msg: "noted", requestId: id, req: { method: "GET", path: "/graphql" } }),
    ]);
  });
});
