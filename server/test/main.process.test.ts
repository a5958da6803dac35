// The built server as an operator runs it: `node server/dist/main.js` in a child process, configured
// only through its environment, in a fresh working directory so ./data lands there.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { SignJWT } from "jose";
import { freePort } from "../../bench/lib/ports";

const ROOT = resolve(__dirname, "../..");
const MAIN = join(ROOT, "server/dist/main.js");
const TOKEN_CLI = join(ROOT, "server/dist/cli/token.js");
const CREATE_DEMO_SECRET = 'mutation { createSecret(input:{projectId:"demo"}) { credentials { keyId secret } } }';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read field by field in tests
type Json = any;

interface HttpAnswer {
  status: number;
  body: Json;
}

interface BadConfiguration {
  problem: string;
  env: Record<string, string>;
  /** The variable the message must name. */
  names: string;
  /** A value that must not be echoed. */
  secret?: string;
}

interface Credentials {
  keyId: string;
  secret: string;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
  running(): boolean;
}

const children = new Set<ServerProcess>();
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyturn-process-"));
  tempDirs.push(dir);
  return dir;
}

/** Only PATH is inherited: jest's own NODE_ENV=test and anything else in the shell stay out. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", ...extra };
}

/** A loopback address other than the default 127.0.0.1 when the OS offers one (Linux), else all interfaces. */
async function nonDefaultHost(): Promise<string> {
  try {
    await freePort("127.0.0.2");
    return "127.0.0.2";
  } catch {
    return "0.0.0.0";
  }
}

function startServer(env: NodeJS.ProcessEnv, cwd = tempDir()): ServerProcess {
  const child = spawn(process.execPath, [MAIN], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let exit: Exit | undefined;
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((done) => {
    // "close" rather than "exit": by then both pipes are drained, so every log line is captured.
    child.once("close", (code, signal) => {
      exit = { code, signal };
      done(exit);
    });
  });
  const server: ServerProcess = {
    child,
    cwd,
    env,
    stdout: () => out,
    stderr: () => err,
    exited,
    running: () => exit === undefined,
  };
  children.add(server);
  return server;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      fail(new Error(`${what}: no result within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

function describeOutput(server: ServerProcess): string {
  return `stdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`;
}

/** Polls until the server answers `path` with 200 (connection refusals while it boots are expected). */
async function waitForStatus200(server: ServerProcess, url: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (!server.running()) throw new Error(`Server exited before ${url} answered\n${describeOutput(server)}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms (last: ${last})\n${describeOutput(server)}`);
}

async function waitUntilReady(server: ServerProcess, baseUrl: string): Promise<void> {
  const started = Date.now();
  await waitForStatus200(server, `${baseUrl}/healthz`);
  await waitForStatus200(server, `${baseUrl}/readyz`, Math.max(1, 15_000 - (Date.now() - started)));
}

async function waitFor(condition: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Condition not met within ${ms} ms`);
}

/** A server with a probe from server/test/support preloaded (NODE_OPTIONS=--require), once ready. */
async function startWithProbe(probe: string): Promise<{ server: ServerProcess; baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const preload = join(ROOT, "server/test/support", probe);
  const server = startServer(environment({ PORT: String(port), NODE_OPTIONS: `--require ${preload}` }));
  await waitUntilReady(server, baseUrl);
  return { server, baseUrl };
}

/** What a preloaded probe writes into the server's working directory when sent SIGUSR2. */
async function probeReport(server: ServerProcess, file: string): Promise<unknown> {
  server.child.kill("SIGUSR2");
  const written = join(server.cwd, file);
  await waitFor(() => Promise.resolve(existsSync(written)), 10_000);
  return JSON.parse(readFileSync(written, "utf8"));
}

/** A server with only PORT configured, on a free port, once it answers /readyz. */
async function startDefaultServer(): Promise<{ server: ServerProcess; baseUrl: string }> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServer(environment({ PORT: String(port) }));
  await waitUntilReady(server, baseUrl);
  return { server, baseUrl };
}

function tokenFromCli(server: ServerProcess): string {
  return execFileSync(process.execPath, [TOKEN_CLI, "--project", "demo", "--role", "admin"], {
    cwd: server.cwd,
    env: server.env,
    encoding: "utf8",
    timeout: 15_000,
  }).trim();
}

async function graphql(baseUrl: string, query: string, token: string): Promise<HttpAnswer> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.json() };
}

async function createDemoSecret(baseUrl: string, token: string): Promise<Credentials> {
  const { status, body } = await graphql(baseUrl, CREATE_DEMO_SECRET, token);
  expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
  const credentials = body.data.createSecret.credentials as Credentials;
  expect(credentials).toEqual({ keyId: expect.any(String), secret: expect.any(String) });
  return credentials;
}

async function verify(baseUrl: string, credentials: Credentials): Promise<HttpAnswer> {
  const res = await fetch(`${baseUrl}/v1/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(credentials),
  });
  return { status: res.status, body: await res.json() };
}

/** The same Key ID with a secret of the same length and alphabet: refused as wrong, not as malformed. */
function withWrongSecret(credentials: Credentials): Credentials {
  const { secret } = credentials;
  return { ...credentials, secret: `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}` };
}

/** Sends SIGTERM and waits for the process to go, killing it outright if it does not within `ms`. */
async function stop(server: ServerProcess, ms = 10_000): Promise<Exit> {
  if (server.running()) server.child.kill("SIGTERM");
  try {
    return await withDeadline(server.exited, ms, "exit after SIGTERM");
  } catch (error) {
    server.child.kill("SIGKILL");
    await server.exited;
    throw error;
  }
}

function signHostToken(secret: string): Promise<string> {
  return new SignJWT({ projects: { demo: "admin" } })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("ops@example.com")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(secret));
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe("the built server process (server/dist/main.js)", () => {
  beforeAll(() => {
    try {
      execFileSync("npx", ["tsc", "-b", "server"], { cwd: ROOT, stdio: "pipe", timeout: 180_000 });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`npx tsc -b server failed:\n${String(stdout ?? "")}${String(stderr ?? "")}`);
    }
  }, 200_000);

  afterEach(async () => {
    for (const server of children) {
      if (server.running()) server.child.kill("SIGKILL");
      await server.exited;
    }
    children.clear();
  });

  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it("starts with no configuration but PORT, generates its development keys and database under ./data, and accepts a CLI token", async () => {
    const { server, baseUrl } = await startDefaultServer();

    for (const file of ["keyturn.sqlite", "dev-jwt-secret", "dev-secret-pepper"]) {
      expect(existsSync(join(server.cwd, "data", file))).toBe(true);
    }

    const token = tokenFromCli(server);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const credentials = await createDemoSecret(baseUrl, token);
    const verified = await verify(baseUrl, credentials);
    expect(verified).toEqual({
      status: 200,
      body: expect.objectContaining({ valid: true, projectId: "demo", keyId: credentials.keyId }),
    });
  }, 30_000);

  it("serves the offline playground's scripts from the server itself", async () => {
    const { baseUrl } = await startDefaultServer();

    const page = await fetch(`${baseUrl}/graphql`, { headers: { accept: "text/html" } });
    const html = await page.text();
    const scripts = [...html.matchAll(/(?:src="|from ")(\/graphql\/static\/[^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toContain("/graphql/static/ruru.js");
    for (const script of scripts) {
      const asset = await fetch(`${baseUrl}${script ?? ""}`);
      expect({ script, status: asset.status }).toEqual({ script, status: 200 });
      expect(asset.headers.get("content-type")).toMatch(/javascript/);
    }
  }, 30_000);

  it("honours HOST, PORT, DATABASE_URL and AUTH_JWT_SECRET", async () => {
    const host = await nonDefaultHost();
    const connectHost = host === "0.0.0.0" ? "127.0.0.1" : host;
    const port = await freePort(connectHost);
    const baseUrl = `http://${connectHost}:${port}`;
    const databaseFile = join(tempDir(), "custom.sqlite");
    const jwtSecret = "operator-supplied-hs256-secret-0123456789abcdef";
    const server = startServer(
      environment({
        HOST: host,
        PORT: String(port),
        DATABASE_URL: `sqlite:${databaseFile}`,
        AUTH_JWT_SECRET: jwtSecret,
      }),
    );
    await waitUntilReady(server, baseUrl);
    expect(server.stdout()).toContain(`Keyturn is ready at http://${host}:${port}`);

    const credentials = await createDemoSecret(baseUrl, await signHostToken(jwtSecret));
    expect((await verify(baseUrl, credentials)).status).toBe(200);

    const forged = await graphql(baseUrl, CREATE_DEMO_SECRET, await signHostToken(`${jwtSecret}-but-not-quite`));
    expect(forged.body.data?.createSecret ?? null).toBeNull();
    expect(forged.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");

    await stop(server).catch(() => undefined);
    expect(existsSync(databaseFile)).toBe(true);
    expect(existsSync(join(server.cwd, "data", "keyturn.sqlite"))).toBe(false);
    // The configured secret is used as is: no development JWT secret is generated beside it.
    expect(existsSync(join(server.cwd, "data", "dev-jwt-secret"))).toBe(false);
  }, 30_000);

  it.each<BadConfiguration>([
    { problem: "a PORT that is not a number", env: { PORT: "abc" }, names: "PORT" },
    {
      problem: "a too-short AUTH_JWT_SECRET in production",
      env: { NODE_ENV: "production", AUTH_JWT_SECRET: "tiny-secret-7", SECRET_PEPPER: "p".repeat(32) },
      names: "AUTH_JWT_SECRET",
      secret: "tiny-secret-7",
    },
    {
      problem: "a DATABASE_URL that is neither MySQL nor SQLite",
      env: { DATABASE_URL: "postgres://keyturn:hunter2@x/y" },
      names: "DATABASE_URL",
      secret: "hunter2",
    },
    {
      problem: "production without a JWT secret",
      env: { NODE_ENV: "production" },
      names: "AUTH_JWT_SECRET",
    },
  ])(
    "refuses $problem: exit code 1, a plain stderr message naming $names, no secret echoed",
    async ({ env, names, secret }) => {
      const port = await freePort();
      const server = startServer(environment({ PORT: String(port), ...env }));
      const exit = await withDeadline(server.exited, 15_000, "exit on bad configuration");
      const stderr = server.stderr();

      expect(exit).toEqual({ code: 1, signal: null });
      expect(stderr).toContain(names);
      expect(stderr).not.toContain("    at ");
      if (secret !== undefined) expect(stderr).not.toContain(secret);
      // Refused before anything is written: no development keys, no database.
      expect(existsSync(join(server.cwd, "data"))).toBe(false);
    },
    20_000,
  );

  describe("names the setting to fix when it cannot start", () => {
    const keys = { AUTH_JWT_SECRET: "j".repeat(32), SECRET_PEPPER: "p".repeat(32) };

    it("DATABASE_URL, when the database does not answer (without echoing the password)", async () => {
      const port = await freePort();
      const env = { PORT: String(port), DATABASE_URL: "mysql://keyturn:hunter2@127.0.0.1:1/keyturn", ...keys };
      const server = startServer(environment(env));
      const exit = await withDeadline(server.exited, 15_000, "exit when the database is unreachable");
      expect(exit).toEqual({ code: 1, signal: null });
      expect(server.stderr()).toMatch(/DATABASE_URL .*127\.0\.0\.1:1, database keyturn\)/);
      expect(server.stderr()).not.toMatch(/hunter2| {4}at /);
    }, 20_000);

    it("HOST:PORT, when the port is taken", async () => {
      const port = await freePort();
      const squatter = createServer().listen(port, "127.0.0.1");
      try {
        const server = startServer(environment({ PORT: String(port), ...keys }));
        const exit = await withDeadline(server.exited, 15_000, "exit when the port is taken");
        expect(exit).toEqual({ code: 1, signal: null });
        expect(server.stderr()).toContain(`HOST:PORT (127.0.0.1:${port})`);
        expect(server.stderr()).toContain("EADDRINUSE");
        expect(server.stderr()).not.toContain("    at ");
      } finally {
        squatter.close();
      }
    }, 20_000);
  });

  it("stops when `npm start` itself is sent SIGTERM, as a supervisor would", async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const dataDir = tempDir();
    const npm = spawn("npm", ["start"], {
      cwd: ROOT,
      env: environment({ PORT: String(port), DATA_DIR: dataDir }),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so cleanup can reach a server that npm failed to stop.
      detached: true,
    });
    let output = "";
    npm.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => npm.once("close", (code) => done(code)));
    try {
      await waitFor(async () => (await fetch(`${baseUrl}/readyz`).catch(() => null))?.status === 200, 30_000);
      npm.kill("SIGTERM");
      await withDeadline(exited, 10_000, "npm start to exit on SIGTERM");
      expect(output).toContain("Stopped cleanly");
      await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
    } finally {
      try {
        process.kill(-(npm.pid ?? 0), "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }, 60_000);

  it("drains in-flight requests on SIGTERM, then exits 0 with “Stopped cleanly”", async () => {
    const { server, baseUrl } = await startDefaultServer();
    const token = tokenFromCli(server);
    const existing = await createDemoSecret(baseUrl, token);

    // Each request sends its headers with `Expect: 100-continue` and holds back its body. Node
    // answers "100 Continue" once it has parsed the headers, so on "continue" the request is
    // provably in flight on the server; the body only follows once shutdown has begun.
    const inFlight = [
      ...Array.from({ length: 3 }, () => ({
        path: "/graphql",
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: CREATE_DEMO_SECRET }),
      })),
      { path: "/v1/verify", headers: {}, body: JSON.stringify(existing) },
    ].map(({ path, headers, body }) => {
      let sendRest: () => void = () => undefined;
      let continued: () => void = () => undefined;
      const accepted = new Promise<void>((r) => (continued = r));
      const response = new Promise<HttpAnswer>((done, fail) => {
        const req = httpRequest(
          `${baseUrl}${path}`,
          {
            method: "POST",
            agent: false,
            headers: {
              ...headers,
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
              expect: "100-continue",
            },
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => {
              try {
                done({ status: res.statusCode ?? 0, body: JSON.parse(text) });
              } catch (error) {
                fail(error instanceof Error ? error : new Error(String(error)));
              }
            });
            res.on("error", fail);
          },
        );
        req.on("error", fail);
        req.on("continue", continued);
        req.flushHeaders();
        sendRest = () => req.end(body);
      });
      return { path, accepted, response, sendRest: () => sendRest() };
    });
    const responses = Promise.allSettled(inFlight.map((r) => r.response));
    await withDeadline(Promise.all(inFlight.map((r) => r.accepted)), 5_000, "100 Continue for every request");

    server.child.kill("SIGTERM");
    await withDeadline(
      (async () => {
        while (!server.stdout().includes("Shutting down") && server.running()) {
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
      5_000,
      "the shutdown log line",
    );
    for (const request of inFlight) request.sendRest();

    const settled = await withDeadline(responses, 10_000, "responses to in-flight requests");
    // No second signal: the first one alone must bring the process down.
    const exit = await withDeadline(server.exited, 10_000, "exit after SIGTERM");

    expect(settled.map((s) => (s.status === "fulfilled" ? s.value.status : String(s.reason)))).toEqual([
      200, 200, 200, 200,
    ]);
    for (const s of settled.slice(0, 3)) {
      expect(s.status === "fulfilled" && s.value.body.data?.createSecret?.credentials?.keyId).toEqual(
        expect.any(String),
      );
    }
    expect(settled[3]?.status === "fulfilled" && settled[3].value.body).toMatchObject({ valid: true });
    expect({ exit, log: describeOutput(server) }).toEqual({
      exit: { code: 0, signal: null },
      log: expect.stringContaining("Stopped cleanly"),
    });
  }, 40_000);

  it("logs JSON lines only, never the bearer token, the revealed secret or the development keys", async () => {
    const { server, baseUrl } = await startDefaultServer();
    const token = tokenFromCli(server);
    const credentials = await createDemoSecret(baseUrl, token);
    expect((await verify(baseUrl, credentials)).status).toBe(200);
    await stop(server).catch(() => undefined);

    const stdout = server.stdout();
    const output = stdout + server.stderr();
    const lines = output.split("\n").filter((line) => line.trim() !== "");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      let entry: unknown;
      expect(() => (entry = JSON.parse(line))).not.toThrow();
      expect(entry).toEqual(expect.objectContaining({ level: expect.any(Number), msg: expect.any(String) }));
    }
    expect(stdout).toContain('"path":"/graphql"');

    const signature = token.split(".")[2] ?? token;
    const jwtSecret = readFileSync(join(server.cwd, "data", "dev-jwt-secret"), "utf8").trim();
    const pepper = readFileSync(join(server.cwd, "data", "dev-secret-pepper"), "utf8").trim();
    const needles = { token, signature, secret: credentials.secret, jwtSecret, pepper };
    const found = Object.fromEntries(
      Object.entries(needles).map(([name, value]) => [name, occurrences(output, value)]),
    );
    expect(found).toEqual({ token: 0, signature: 0, secret: 0, jwtSecret: 0, pepper: 0 });
  }, 30_000);

  it("leaves the built-in prototypes in V8's fast mode once it has started and answered", async () => {
    const { server, baseUrl } = await startWithProbe("prototype-probe.cjs");
    const credentials = await createDemoSecret(baseUrl, tokenFromCli(server));
    expect((await verify(baseUrl, credentials)).status).toBe(200);

    const { fastAtStart, slowedDown } = (await probeReport(server, "prototypes.json")) as Record<string, string[]>;
    expect(fastAtStart).toEqual(expect.arrayContaining(["Array", "Object", "String"]));
    expect(slowedDown).toEqual([]);
  }, 60_000);

  it("gives every socket and request one hidden class on the routes it serves without Express", async () => {
    const { server, baseUrl } = await startWithProbe("shape-probe.cjs");
    // Each route on a keep-alive connection of its own, used twice: each socket's shape is then
    // what that route made of it.
    const agents: Agent[] = [];
    const onOwnConnection = () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      return (method: string, path: string, headers: Record<string, string>, body?: string) =>
        new Promise<HttpAnswer>((resolve, reject) => {
          const req = httpRequest(`${baseUrl}${path}`, { method, agent, headers }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (text += chunk));
            res.on("end", () => {
              resolve({ status: res.statusCode ?? 0, body: text });
            });
          });
          req.on("error", reject);
          req.end(body);
        });
    };
    const graphqlRoute = onOwnConnection();
    const reportRoute = onOwnConnection();
    const verifyRoute = onOwnConnection();
    const refusedRoute = onOwnConnection();
    const basic = ({ keyId, secret }: Credentials) => ({
      authorization: `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`,
    });
    // Fetched before the connections are used: a kept-alive one must not idle while the CLI runs.
    const token = tokenFromCli(server);
    try {
      for (let i = 0; i < 2; i++) {
        const created = await graphqlRoute(
          "POST",
          "/graphql",
          { "content-type": "application/json", authorization: `Bearer ${token}` },
          JSON.stringify({ query: CREATE_DEMO_SECRET }),
        );
        const answer: Json = JSON.parse(created.body);
        expect({ status: created.status, errors: answer.errors }).toEqual({ status: 200, errors: undefined });
        const credentials = answer.data.createSecret.credentials as Credentials;
        expect((await reportRoute("GET", "/analytics/v1/report", basic(credentials))).status).toBe(200);
        const json = { "content-type": "application/json" };
        expect((await verifyRoute("POST", "/v1/verify", json, JSON.stringify(credentials))).status).toBe(200);
        expect((await refusedRoute("GET", "/analytics/v1/report", basic(withWrongSecret(credentials)))).status).toBe(
          401,
        );
      }

      // One group per hidden class, each listing the paths its objects served.
      const everyPath = ["/analytics/v1/report", "/graphql", "/healthz", "/readyz", "/v1/verify"];
      expect(await probeReport(server, "shapes.json")).toEqual({ sockets: [everyPath], requests: [everyPath] });
    } finally {
      for (const agent of agents) agent.destroy();
    }
  }, 60_000);

  it("keeps no plaintext secret in memory once it has answered, verified or refused", async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = startServer(environment({ PORT: String(port), NODE_OPTIONS: "--heapsnapshot-signal=SIGUSR2" }));
    await waitUntilReady(server, baseUrl);
    const credentials = await createDemoSecret(baseUrl, tokenFromCli(server));
    const wrong = withWrongSecret(credentials);
    const report = (presented: Credentials) =>
      fetch(`${baseUrl}/analytics/v1/report`, {
        headers: { authorization: `Basic ${Buffer.from(`${presented.keyId}:${presented.secret}`).toString("base64")}` },
      });
    for (let i = 0; i < 3; i++) {
      expect((await report(credentials)).status).toBe(200);
      expect((await verify(baseUrl, credentials)).status).toBe(200);
      expect((await report(wrong)).status).toBe(401);
      expect((await verify(baseUrl, wrong)).status).toBe(401);
    }

    // Node writes the snapshot (after a full garbage collection) into the working directory.
    server.child.kill("SIGUSR2");
    const snapshotFile = () => readdirSync(server.cwd).find((name) => name.endsWith(".heapsnapshot"));
    let size = -1;
    await waitFor(() => {
      const file = snapshotFile();
      if (!file) return Promise.resolve(false);
      // Complete once its size stops changing.
      const now = statSync(join(server.cwd, file)).size;
      const done = now > 0 && now === size;
      size = now;
      return Promise.resolve(done);
    }, 60_000);
    const heap = readFileSync(join(server.cwd, snapshotFile() ?? ""), "utf8");
    expect(heap.length).toBeGreaterThan(1_000_000);
    expect(heap).toContain(credentials.keyId);
    expect({ secret: occurrences(heap, credentials.secret), wrong: occurrences(heap, wrong.secret) }).toEqual({
      secret: 0,
      wrong: 0,
    });
  }, 90_000);
});
