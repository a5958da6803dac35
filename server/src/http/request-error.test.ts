import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { createLogger } from "../logger";
import { answerRequestError } from "./request-error";

describe("answerRequestError", () => {
  const lines: Array<{ msg: string; err?: { message: string } }> = [];
  const logger = createLogger({ logLevel: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  // Each path fails in its own way; /partial fails after its answer has started.
  const failures: Record<string, unknown> = {
    "/too-large": Object.assign(new Error("request entity too large"), { status: 413 }),
    "/bad-json": Object.assign(new Error("Unexpected token"), { status: 400 }),
    "/redirect-status": Object.assign(new Error("odd"), { status: 302 }),
    "/crash": new Error("database exploded"),
    "/partial": new Error("failed mid-answer"),
  };
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const fail = () => answerRequestError(failures[req.url ?? ""], logger, res);
      if (req.url !== "/partial") return fail();
      // The failure comes once the start of the answer is on the wire.
      res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
      res.write("the first part", fail);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    lines.length = 0;
  });

  const post = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST" });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  };

  it.each([
    ["/too-large", 413, "Request body too large", "BAD_REQUEST"],
    ["/bad-json", 400, "Bad request", "BAD_REQUEST"],
  ])(
    "answers %s's declared status with a GraphQL-shaped error and logs nothing",
    async (path, status, message, code) => {
      expect(await post(path)).toEqual({
        status,
        type: "application/json; charset=utf-8",
        body: { errors: [{ message, extensions: { code } }] },
      });
      expect(lines).toEqual([]);
    },
  );

  it.each(["/crash", "/redirect-status"])("answers %s with a masked 500 and logs the failure", async (path) => {
    const { status, body } = await post(path);
    expect(status).toBe(500);
    expect(body).toEqual({
      errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
    });
    expect(JSON.stringify(body)).not.toContain((failures[path] as Error).message);
    expect(lines).toEqual([
      expect.objectContaining({
        msg: "Request failed",
        err: expect.objectContaining({ message: (failures[path] as Error).message }),
      }),
    ]);
  });

  it("cuts the connection when part of an answer was already sent, and logs the failure", async () => {
    const outcome = await new Promise<{ status?: number; received: string; error?: string }>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/partial", method: "POST" }, (res) => {
        let received = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (received += chunk));
        res.on("end", () => resolve({ status: res.statusCode, received }));
        res.on("error", (error) => resolve({ status: res.statusCode, received, error: error.message }));
      });
      req.on("error", (error) => resolve({ received: "", error: error.message }));
      req.end();
    });
    // The client sees the start of the 200 and then the connection end early: never a complete answer.
    expect(outcome).toEqual({ status: 200, received: "the first part", error: "aborted" });
    expect(lines).toEqual([expect.objectContaining({ msg: "Request failed" })]);
  });
});
