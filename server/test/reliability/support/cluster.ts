// The reliability suite runs Keyturn as operators do: `node server/dist/main.js` child processes on
// their own ports, configured only through the environment, sharing one MariaDB database (and a
// dedicated redis-server where needed). Everything a file starts is registered with its
// ReliabilitySuite and torn down in afterAll, also when a test fails.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, expect, it } from "@jest/globals";
import { SignJWT } from "jose";
import { createConnection, type Connection, type RowDataPacket } from "mysql2/promise";
import { TcpProxy, type ProxyTarget } from "./tcp-proxy";
import { freePort } from "../../../../bench/lib/ports";

const run = promisify(execFile);

const ROOT = resolve(__dirname, "../../../..");
const MAIN = join(ROOT, "server/dist/main.js");

export const JWT_SECRET = "reliability-jwt-secret-0123456789abcdefghijklmnop";
export const PEPPER = "reliability-pepper-0123456789abcdefghijklmnopqrstuv";

/** Failed verifications and mutations are rate limited; these tests must measure the rest, not the limits. */
const UNLIMITED = {
  RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
  RATE_LIMIT_FAILED_VERIFICATIONS_PER_IP: "1000000",
  RATE_LIMIT_FAILED_VERIFICATIONS_PER_KEY_ID: "1000000",
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL JSON, read field by field in tests
export type Json = any;

export interface GraphQLAnswer {
  status: number;
  body: Json;
  /** Time from sending to the parsed answer, in ms. */
  ms: number;
}

export interface Revealed {
  id: string;
  keyId: string;
  secret: string;
}

/** The MariaDB server the suite may use. These tests are MariaDB-only: no TEST_MYSQL_URL is a failure. */
export function mysqlServerUrl(): string {
  const url = process.env.TEST_MYSQL_URL;
  if (!url) {
    throw new Error(
      "TEST_MYSQL_URL is not set. The reliability suite needs MariaDB/MySQL: " +
        "TEST_MYSQL_URL=mariadb://root@127.0.0.1:3306/test npm run test:reliability (.ci/run sets it).",
    );
  }
  return url;
}

export function connectMysql(serverUrl: string, database?: string): Promise<Connection> {
  const url = new URL(serverUrl);
  const socketPath = url.searchParams.get("socketPath");
  return createConnection({
    ...(socketPath ? { socketPath } : { host: url.hostname, port: Number(url.port || 3306) }),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: database ?? (decodeURIComponent(url.pathname.slice(1)) || undefined),
    // DATETIMEs as the server stores them (UTC, see data-source.ts).
    timezone: "Z",
  });
}

/** Where the proxy forwards to: the TEST_MYSQL_URL server's TCP address or unix socket. */
export function mysqlTarget(serverUrl: string): ProxyTarget {
  const url = new URL(serverUrl);
  const socketPath = url.searchParams.get("socketPath");
  return socketPath ? { path: socketPath } : { host: url.hostname || "127.0.0.1", port: Number(url.port || 3306) };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  ms: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = "no answer";
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${String(last)})`);
}

/** A row of information_schema.innodb_trx with its connection's processlist row. */
export interface OpenTransaction {
  id: string;
  state: string;
  started: Date;
  query: string | null;
  operation: string | null;
  rowsLocked: number;
  command: string;
  time: number;
  threadState: string | null;
  info: string | null;
}

export class TestDatabase {
  private constructor(
    readonly name: string,
    readonly serverUrl: string,
  ) {}

  static async create(serverUrl: string): Promise<TestDatabase> {
    const name = `keyturn_reliability_${randomBytes(5).toString("hex")}`;
    const admin = await connectMysql(serverUrl);
    try {
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    } finally {
      await admin.end();
    }
    return new TestDatabase(name, serverUrl);
  }

  /** DATABASE_URL for a server, optionally through a proxy on `viaPort`. */
  url(viaPort?: number): string {
    const url = new URL(this.serverUrl);
    url.pathname = `/${this.name}`;
    if (viaPort !== undefined) {
      url.hostname = "127.0.0.1";
      url.port = String(viaPort);
      url.searchParams.delete("socketPath");
    }
    return url.toString();
  }

  /** A direct connection (never through a proxy) for inspecting and provoking the database. */
  connect(): Promise<Connection> {
    return connectMysql(this.serverUrl, this.name);
  }

  async query<T = RowDataPacket>(sql: string, params: unknown[] = []): Promise<T[]> {
    const connection = await this.connect();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(sql, params);
      return rows as T[];
    } finally {
      await connection.end();
    }
  }

  /** Transactions open on this database (InnoDB), by connections using it: what each is doing. */
  async openTransactions(): Promise<OpenTransaction[]> {
    return this.query<OpenTransaction>(
      `SELECT t.trx_id AS id, t.trx_state AS state, t.trx_started AS started, t.trx_query AS query,
              t.trx_operation_state AS operation, t.trx_rows_locked AS rowsLocked,
              p.command, p.time, p.state AS threadState, p.info
         FROM information_schema.innodb_trx t
         JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
        WHERE p.db = ?`,
      [this.name],
    );
  }

  /** Everything the database holds as text: mysqldump's output (triggers included) plus every row as JSON. */
  async dump(): Promise<string> {
    const url = new URL(this.serverUrl);
    const socketPath = url.searchParams.get("socketPath");
    const where = socketPath ? [`--socket=${socketPath}`] : [`--host=${url.hostname}`, `--port=${url.port || 3306}`];
    let mysqldump = "";
    for (const tool of ["mariadb-dump", "mysqldump"]) {
      try {
        const { stdout } = await run(
          tool,
          [...where, `--user=${decodeURIComponent(url.username)}`, "--skip-extended-insert", "--triggers", this.name],
          {
            env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) },
            maxBuffer: 256 * 1024 * 1024,
          },
        );
        mysqldump = stdout;
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    const tables = await this.query<Record<string, string>>("SHOW TABLES");
    const rows: string[] = [];
    for (const table of tables) {
      const name = Object.values(table)[0] ?? "";
      rows.push(JSON.stringify(await this.query(`SELECT * FROM \`${name}\``)));
    }
    return `${mysqldump}\n${rows.join("\n")}`;
  }

  async drop(): Promise<void> {
    const admin = await connectMysql(this.serverUrl);
    try {
      await admin.query(`DROP DATABASE IF EXISTS \`${this.name}\``);
    } finally {
      await admin.end();
    }
  }
}

/** A child process whose every output line is kept for the secret-hygiene audit. */
export class CapturedProcess {
  private output = "";
  private exitState: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    this.exited = new Promise((done) => {
      // "close", not "exit": both pipes are drained by then, so every line is captured.
      child.once("close", (code, signal) => {
        this.exitState = { code, signal };
        done(this.exitState);
      });
    });
  }

  get logs(): string {
    return this.output;
  }

  get exit() {
    return this.exitState;
  }

  running(): boolean {
    return this.exitState === undefined;
  }

  /** SIGTERM, then SIGKILL if it has not gone within `ms`. */
  async stop(ms = 10_000): Promise<void> {
    if (!this.running()) return;
    this.child.kill("SIGTERM");
    const deadline = setTimeout(() => this.kill(), ms);
    await this.exited;
    clearTimeout(deadline);
  }

  kill(): void {
    if (this.running()) this.child.kill("SIGKILL");
  }
}

/** One running Keyturn server process. */
export class Instance extends CapturedProcess {
  constructor(
    name: string,
    child: ChildProcessWithoutNullStreams,
    readonly baseUrl: string,
    private readonly suite: ReliabilitySuite,
  ) {
    super(name, child);
  }

  /** POSTs a GraphQL operation; every secret the answer reveals is remembered for the hygiene audit. */
  async graphql(query: string, variables: Record<string, unknown>, token?: string): Promise<GraphQLAnswer> {
    const started = performance.now();
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    let body: Json;
    try {
      body = JSON.parse(text);
    } catch {
      body = { unparsable: text };
    }
    this.suite.rememberRevealed(body);
    return { status: res.status, body, ms };
  }

  /** POST /v1/verify: the HTTP status. */
  async verify(keyId: string, secret: string): Promise<number> {
    const res = await fetch(`${this.baseUrl}/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ keyId, secret }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  async get(path: string): Promise<{ status: number; text: string; ms: number }> {
    const started = performance.now();
    const res = await fetch(`${this.baseUrl}${path}`);
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  }

  /** A Prometheus counter's value (summed over label sets matching `labels`). */
  async metric(name: string, labels = ""): Promise<number> {
    const { text } = await this.get("/metrics");
    let total = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${name}{`) && line.includes(labels)) total += Number(line.split(" ").pop());
      else if (line.startsWith(`${name} `) && !labels) total += Number(line.split(" ").pop());
    }
    return total;
  }
}

export const CREATE_SECRET = `mutation Create($input: CreateSecretInput!) {
  createSecret(input: $input) { apiSecret { id currentKeyId } credentials { keyId secret } }
}`;

export const ROTATE_SECRET = `mutation Rotate($input: RotateSecretInput!) {
  rotateSecret(input: $input) { apiSecret { id currentKeyId } credentials { keyId secret } }
}`;

export const REVOKE_SECRET = `mutation Revoke($input: RevokeSecretInput!) {
  revokeSecret(input: $input) { apiSecret { id status revokedAt } }
}`;

export const LIST_SECRETS = `query List($projectId: ID!) { apiSecrets(projectId: $projectId) { id status currentKeyId } }`;

export function errorCodes(body: Json): string[] {
  return ((body?.errors ?? []) as Array<{ extensions?: { code?: unknown } }>).map((e) =>
    typeof e.extensions?.code === "string" ? e.extensions.code : "NO_CODE",
  );
}

/** Driver, SQL or Node socket text that must never reach a client. */
export const INTERNALS =
  /ER_[A-Z_]+|SQL|mysql|mariadb|ECONN|EPIPE|PROTOCOL_|deadlock|QueryFailed|innodb|\bat [\w.]+ \(/i;

export async function createSecret(instance: Instance, token: string, projectId: string): Promise<Revealed> {
  const { body } = await instance.graphql(CREATE_SECRET, { input: { projectId } }, token);
  if (body.errors) throw new Error(`createSecret failed: ${JSON.stringify(body.errors)}`);
  return { id: body.data.createSecret.apiSecret.id, ...body.data.createSecret.credentials };
}

export async function rotateSecret(instance: Instance, token: string, id: string): Promise<Revealed> {
  const { body } = await instance.graphql(ROTATE_SECRET, { input: { id } }, token);
  if (body.errors) throw new Error(`rotateSecret failed: ${JSON.stringify(body.errors)}`);
  return { id, ...body.data.rotateSecret.credentials };
}

/** A dedicated redis-server on its own port, never the shared one on 6379. */
export class RedisServer extends CapturedProcess {
  constructor(
    child: ChildProcessWithoutNullStreams,
    readonly port: number,
  ) {
    super(`redis-server:${port}`, child);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(this.port), ...args]);
    return stdout.trim();
  }
}

/**
 * What one test file starts and reveals. Registers the afterAll that stops every process, proxy
 * and redis-server and drops every database, and offers the secret-hygiene test that ends each file.
 */
export class ReliabilitySuite {
  readonly serverUrl = mysqlServerUrl();
  private readonly databases: TestDatabase[] = [];
  private readonly processes: CapturedProcess[] = [];
  private readonly proxies: TcpProxy[] = [];
  private readonly tempDirs: string[] = [];
  /** Every plaintext secret a GraphQL answer carried during this file. */
  readonly revealed = new Set<string>();
  /** Every bearer token sent during this file. */
  readonly tokens = new Set<string>();
  /** Key IDs revealed (public, and expected in the dump: a check that the dump is real). */
  readonly keyIds = new Set<string>();

  constructor() {
    if (!existsSync(MAIN))
      throw new Error(`${MAIN} is missing: run \`npx tsc -b server\` (npm run test:reliability does)`);
    afterAll(async () => {
      await Promise.all(this.processes.map((p) => p.stop(5_000)));
      await Promise.all(this.proxies.map((p) => p.close()));
      for (const database of this.databases) await database.drop();
      for (const dir of this.tempDirs) rmSync(dir, { recursive: true, force: true });
    }, 60_000);
  }

  async database(): Promise<TestDatabase> {
    const database = await TestDatabase.create(this.serverUrl);
    this.databases.push(database);
    return database;
  }

  /** A fault proxy in front of MariaDB, or of `target` (a redis-server). */
  async proxy(target: ProxyTarget = mysqlTarget(this.serverUrl)): Promise<TcpProxy> {
    const proxy = await TcpProxy.start(target);
    this.proxies.push(proxy);
    return proxy;
  }

  /** A host token, as the portal would sign it; remembered for the hygiene audit. */
  async token(projects: Record<string, "admin" | "viewer">, sub = "reliability@example.com"): Promise<string> {
    const token = await new SignJWT({ projects })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime("30m")
      .sign(new TextEncoder().encode(JWT_SECRET));
    this.tokens.add(token);
    return token;
  }

  rememberRevealed(value: Json): void {
    if (value === null || typeof value !== "object") return;
    if (typeof value.secret === "string" && typeof value.keyId === "string") {
      this.revealed.add(value.secret);
      this.keyIds.add(value.keyId);
    }
    for (const child of Object.values(value as Record<string, unknown>)) this.rememberRevealed(child);
  }

  /** Starts `node server/dist/main.js` and resolves once /readyz answers 200. */
  async instance(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Instance> {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "keyturn-reliability-"));
    this.tempDirs.push(dataDir);
    const child = spawn(process.execPath, [MAIN], {
      cwd: dataDir,
      stdio: ["pipe", "pipe", "pipe"],
      // Only what an operator would set: jest's own environment stays out.
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: String(port),
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        AUTH_JWT_SECRET: JWT_SECRET,
        SECRET_PEPPER: PEPPER,
        LOG_LEVEL: "debug",
        ...UNLIMITED,
        ...env,
      },
    });
    const instance = new Instance(name, child, `http://127.0.0.1:${port}`, this);
    this.processes.push(instance);
    await waitFor(
      `${name} ready`,
      async () => {
        if (!instance.running()) throw new Error(`${name} exited: ${instance.logs}`);
        return (await instance.get("/readyz")).status === 200;
      },
      30_000,
      100,
    );
    return instance;
  }

  async redis(): Promise<RedisServer> {
    const port = await freePort();
    const child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    const redis = new RedisServer(child, port);
    this.processes.push(redis);
    await waitFor("redis-server PONG", async () => (await redis.cli("PING")) === "PONG", 10_000, 50);
    return redis;
  }

  /**
   * The file's last test: stops every process (so every line is flushed), dumps every database
   * and asserts that no revealed secret and no bearer token appears in the dump or any log line.
   */
  hygieneTest(): void {
    it("secret hygiene: 0 revealed secrets and 0 bearer tokens in the database dump and every log line", async () => {
      await Promise.all(this.processes.map((p) => p.stop()));
      const dumps = await Promise.all(this.databases.map((d) => d.dump()));
      const dump = dumps.join("\n");
      const logs = this.processes.map((p) => p.logs).join("\n");
      const tokenParts = [...this.tokens].map((t) => t.split(".")[2] ?? t);
      const needles = [...this.revealed, ...this.tokens, ...tokenParts, JWT_SECRET, PEPPER];
      const found = needles.filter((needle) => dump.includes(needle) || logs.includes(needle));
      console.log(
        `[hygiene] ${this.revealed.size} revealed secrets, ${this.tokens.size} bearer tokens; ` +
          `${this.databases.length} database dump(s) of ${dump.length} characters, ` +
          `${logs.split("\n").length} log lines from ${this.processes.length} processes: ${found.length} found`,
      );
      expect(this.revealed.size).toBeGreaterThan(0);
      expect(this.tokens.size).toBeGreaterThan(0);
      // The dump is real: every revealed Key ID (public) is in it.
      expect([...this.keyIds].filter((keyId) => !dump.includes(keyId))).toEqual([]);
      expect(found).toEqual([]);
    }, 120_000);
  }
}
