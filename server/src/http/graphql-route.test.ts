import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer } from "@apollo/server";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { graphqlRoute } from "./graphql-route";
import type { Middleware } from "./middleware";

interface Context {
  caller: string;
}

describe("graphqlRoute", () => {
  const apollo = new ApolloServer<Context>({
    typeDefs: "type Query { caller: String! }",
    resolvers: { Query: { caller: (_parent: unknown, _args: unknown, context: Context) => context.caller } },
  });
  const trail: string[] = [];
  const failures: unknown[] = [];
  const step =
    (name: string, behaviour: "next" | "fail" | "throw" | "null" = "next"): Middleware =>
    (_req, res, next) => {
      trail.push(name);
      res.setHeader(`x-${name}`, "ran");
      if (behaviour === "fail" || behaviour === "throw") {
        const failure = new Error(`${name} failed`);
        if (behaviour === "throw") throw failure;
        next(failure);
      } else {
        // Some middleware call next(null) when they mean "carry on", as Express allows.
        next(behaviour === "null" ? null : undefined);
      }
    };
  const body: Middleware = (req, _res, next) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      Object.assign(req, { body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown });
      next();
    });
  };
  const routes: Record<string, Middleware[]> = {
    "/ok": [step("first"), step("second", "null"), body],
    "/fails": [step("first"), step("second", "fail"), step("never"), body],
    "/throws": [step("first", "throw"), step("never"), body],
  };
  let server: Server;
  let base = "";

  beforeAll(async () => {
    await apollo.start();
    const handlers = Object.fromEntries(
      Object.entries(routes).map(([path, middleware]) => [
        path,
        graphqlRoute(apollo, {
          middleware,
          context: (req) => Promise.resolve({ caller: req.headers["x-caller"] as string }),
          onError: (error, _req, res) => {
            failures.push(error);
            res.statusCode = 599;
            res.end();
          },
        }),
      ]),
    );
    server = createServer((req, res) => handlers[req.url ?? ""]?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await apollo.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-caller": "alice" },
      body: JSON.stringify({ query: "{ caller }" }),
    });

  it("runs the middleware in order, then Apollo with the request's context", async () => {
    trail.length = 0;
    const res = await post("/ok");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { caller: "alice" } });
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect([res.headers.get("x-first"), res.headers.get("x-second")]).toEqual(["ran", "ran"]);
    expect(trail).toEqual(["first", "second"]);
  });

  it.each([
    ["passes to next()", "/fails", ["first", "second"], "second failed"],
    ["throws", "/throws", ["first"], "first failed"],
  ])(
    "stops at a middleware that %s, and answers through onError without running Apollo",
    async (_how, path, ran, message) => {
      trail.length = 0;
      failures.length = 0;
      const res = await post(path);
      expect(res.status).toBe(599);
      expect(trail).toEqual(ran);
      expect(failures.map((failure) => (failure as Error).message)).toEqual([message]);
    },
  );
});
