import "reflect-metadata";
import { Writable } from "node:stream";
import { afterAll, beforeAll } from "@jest/globals";
import { SignJWT } from "jose";
import request from "supertest";
import { createApp, type KeyturnApp } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { Database } from "../../src/database/database";
import { createLogger } from "../../src/logger";
import type { DatabaseFactory, TestDatabase } from "./databases";

export const JWT_SECRET = "test-jwt-secret-that-is-long-enough-0123456789";
export const PEPPER = "test-pepper-that-is-long-enough-0123456789abcdef";

export interface TestServer {
  database: TestDatabase;
  app: KeyturnApp;
  baseUrl: string;
  db: Database;
  config: Config;
  /** Every log line the server wrote, for secret-hygiene checks. */
  logs: string[];
  /** Moves the server's clock (grace periods, last-used) forward. */
  advanceClock(ms: number): void;
  http(): ReturnType<typeof request>;
  /** POSTs a GraphQL operation; resolves with the parsed JSON body. */
  graphql(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLBody>;
  close(): Promise<void>;
}

export interface GraphQLBody {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL JSON, read field by field in tests
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown>; path?: unknown[] }>;
}

/** Signs a host token as the portal would. */
export function hostToken(
  projects: Record<string, "admin" | "viewer">,
  { sub = "alice@example.com", expiresIn = "5m", secret = JWT_SECRET } = {},
): Promise<string> {
  return new SignJWT({ projects })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export async function startTestServer(database: TestDatabase, env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    AUTH_JWT_SECRET: JWT_SECRET,
    SECRET_PEPPER: PEPPER,
    LOG_LEVEL: "debug",
    HOST: "127.0.0.1",
    PORT: "0",
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString("utf8"));
      done();
    },
  });
  const logger = createLogger(config, sink);
  let offset = 0;
  const db = await Database.open(config.database);
  const app = await createApp({ config, db, logger, now: () => new Date(Date.now() + offset) });
  const baseUrl = await app.listen();
  return {
    database,
    app,
    baseUrl,
    db,
    config,
    logs,
    advanceClock: (ms) => {
      offset += ms;
    },
    http: () => request(baseUrl),
    graphql: async (query, variables, token) => {
      const req = request(baseUrl).post("/graphql").set("content-type", "application/json");
      if (token) req.set("authorization", `Bearer ${token}`);
      const res = await req.send({ query, variables });
      return res.body as GraphQLBody;
    },
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

/**
 * Starts a server on a fresh database before the suite's tests and stops it, dropping the
 * database, after them. The returned object stands for that server once it is running.
 */
export function useTestServer(createDatabase: DatabaseFactory, env: Record<string, string> = {}): TestServer {
  let running: TestServer | undefined;
  beforeAll(async () => {
    running = await startTestServer(await createDatabase(), env);
  });
  afterAll(async () => {
    await running?.close();
    await running?.database.drop();
  });
  return new Proxy({} as TestServer, {
    get: (_target, key) => {
      if (!running) throw new Error("The test server is not running yet: use it inside a test or hook");
      return Reflect.get(running, key) as unknown;
    },
  });
}
