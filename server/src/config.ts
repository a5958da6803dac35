import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_CREDENTIAL_PREFIXES, PREFIX_PATTERN, type CredentialPrefixes } from "@keyturn/shared";
import { z } from "zod";

export type DatabaseConfig =
  | { type: "sqlite"; path: string }
  | {
      type: "mysql";
      /** From the URL scheme; TypeORM reads MariaDB's catalogue slightly differently. */
      server: "mysql" | "mariadb";
      host: string;
      port: number;
      username: string;
      password: string;
      database: string;
      socketPath?: string;
    };

export interface AuthConfig {
  /** HS256 shared secret; exactly one of this and `jwksUrl` is set. */
  jwtSecret?: string;
  jwksUrl?: URL;
  algorithms: string[];
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
}

export interface Config {
  environment: "development" | "production" | "test";
  /** Redis for cross-instance cache invalidation and shared rate limits; unset = one instance. */
  redisUrl: string | undefined;
  databasePool: { size: number; acquireTimeoutMs: number };
  verificationCache: {
    maxEntries: number;
    /** How long a cached lookup is trusted without asking the database again. */
    ttlMs: number;
    /** How long cached lookups keep answering while the database is unreachable. */
    outageMs: number;
  };
  rateLimits: {
    /** createSecret + rotateSecret + revokeSecret per admin per minute. */
    mutationsPerMinute: number;
    /** Failed verifications per client IP per minute before it gets 429. */
    failedVerificationsPerIp: number;
    /** Failed verifications per Key ID per minute before it gets 429. */
    failedVerificationsPerKeyId: number;
  };
  /** Bearer token that /metrics requires; unset = open (keep it on an internal network). */
  metricsToken: string | undefined;
  http: {
    host: string;
    port: number;
    trustProxy: boolean | number | string;
    /** Origins of host portals allowed to call /graphql from the browser (the widget). */
    corsOrigins: string[];
  };
  database: DatabaseConfig;
  dataDir: string;
  auth: AuthConfig;
  secrets: {
    /** Server-side key for HMAC-SHA-256 of every stored secret. Losing it invalidates every credential. */
    pepper: string;
    prefixes: CredentialPrefixes;
    maxActivePerProject: number;
  };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  playground: boolean;
  /** Problems tolerated outside production, for the server to log at start. */
  warnings: string[];
}

/** A configuration problem, with a message that names the variable and never echoes a secret value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const MIN_KEY_LENGTH = 32;

/** A whole number from 1 to `max` given as digits, `fallback` when unset. */
function positiveInteger(fallback: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(1).max(max))
    .default(fallback);
}

const boolean = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const EnvironmentSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, "must be a port number")
    .transform(Number)
    .pipe(z.number().max(65535))
    .default(4000),
  TRUST_PROXY: z.string().optional(),
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }).transform((o) => new URL(o).origin)))
    .optional(),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z.string().optional(),
  AUTH_JWT_SECRET: z.string().optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_JWT_ALGORITHMS: z
    .string()
    .transform((v) => v.split(",").map((a) => a.trim()))
    .pipe(z.array(z.enum(["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"])).min(1))
    .optional(),
  AUTH_JWT_ISSUER: z.string().optional(),
  AUTH_JWT_AUDIENCE: z.string().optional(),
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  SECRET_PEPPER: z.string().optional(),
  KEY_ID_PREFIX: z.string().regex(PREFIX_PATTERN).default(DEFAULT_CREDENTIAL_PREFIXES.keyId),
  SECRET_PREFIX: z.string().regex(PREFIX_PATTERN).default(DEFAULT_CREDENTIAL_PREFIXES.secret),
  MAX_ACTIVE_SECRETS_PER_PROJECT: z.coerce.number().int().min(1).max(1000).default(10),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  DB_POOL_SIZE: positiveInteger(10, 500),
  DB_ACQUIRE_TIMEOUT_MS: positiveInteger(2_000, 60_000),
  VERIFY_CACHE_MAX_ENTRIES: positiveInteger(100_000, 10_000_000),
  VERIFY_CACHE_TTL_SECONDS: positiveInteger(10, 3_600),
  VERIFY_CACHE_OUTAGE_SECONDS: positiveInteger(300, 86_400),
  RATE_LIMIT_MUTATIONS_PER_MINUTE: positiveInteger(60, 100_000),
  RATE_LIMIT_FAILED_VERIFICATIONS_PER_IP: positiveInteger(300, 1_000_000),
  RATE_LIMIT_FAILED_VERIFICATIONS_PER_KEY_ID: positiveInteger(100, 1_000_000),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  GRAPHQL_PLAYGROUND: boolean.optional(),
});

type Environment = z.infer<typeof EnvironmentSchema>;

/**
 * Reads and validates the environment once. In development, a missing JWT secret or pepper is
 * generated under DATA_DIR and reused on later starts (and by `npm run token`); production
 * refuses to start without them.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvironmentSchema.safeParse(withoutEmptyValues(env));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const production = e.NODE_ENV === "production";

  if (e.AUTH_JWT_SECRET && e.AUTH_JWKS_URL) {
    throw new ConfigError("Invalid configuration: set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both");
  }
  if (production && !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL) {
    throw new ConfigError("Invalid configuration: AUTH_JWT_SECRET or AUTH_JWKS_URL is required in production");
  }
  if (production && e.AUTH_JWKS_URL && !e.AUTH_JWKS_URL.startsWith("https:")) {
    // Keys fetched over plain HTTP can be swapped in transit, and with them any admin token forged.
    throw new ConfigError("Invalid configuration: AUTH_JWKS_URL must use https in production");
  }
  if (production && !e.SECRET_PEPPER) {
    throw new ConfigError("Invalid configuration: SECRET_PEPPER is required in production");
  }
  // RFC 7518 asks for HS256 keys of at least 256 bits; production insists, development only warns.
  const warnings: string[] = [];
  for (const name of ["AUTH_JWT_SECRET", "SECRET_PEPPER"] as const) {
    const value = e[name];
    if (value === undefined || value.length >= MIN_KEY_LENGTH) continue;
    const problem = `${name} is shorter than ${MIN_KEY_LENGTH} characters`;
    if (production) throw new ConfigError(`Invalid configuration: ${problem}, the minimum in production`);
    warnings.push(`${problem}: accepted outside production only`);
  }
  if (e.KEY_ID_PREFIX === e.SECRET_PREFIX) {
    throw new ConfigError("Invalid configuration: KEY_ID_PREFIX and SECRET_PREFIX must differ");
  }
  const prefixes = { keyId: e.KEY_ID_PREFIX, secret: e.SECRET_PREFIX };

  return {
    environment: e.NODE_ENV,
    redisUrl: e.REDIS_URL,
    databasePool: { size: e.DB_POOL_SIZE, acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS },
    verificationCache: {
      maxEntries: e.VERIFY_CACHE_MAX_ENTRIES,
      ttlMs: e.VERIFY_CACHE_TTL_SECONDS * 1000,
      outageMs: e.VERIFY_CACHE_OUTAGE_SECONDS * 1000,
    },
    rateLimits: {
      mutationsPerMinute: e.RATE_LIMIT_MUTATIONS_PER_MINUTE,
      failedVerificationsPerIp: e.RATE_LIMIT_FAILED_VERIFICATIONS_PER_IP,
      failedVerificationsPerKeyId: e.RATE_LIMIT_FAILED_VERIFICATIONS_PER_KEY_ID,
    },
    metricsToken: e.METRICS_TOKEN,
    http: { host: e.HOST, port: e.PORT, trustProxy: parseTrustProxy(e.TRUST_PROXY), corsOrigins: e.CORS_ORIGINS ?? [] },
    database: parseDatabaseUrl(e.DATABASE_URL, dataDir),
    dataDir,
    auth: authConfig(e, dataDir),
    secrets: {
      pepper: e.SECRET_PEPPER ?? developmentKey(dataDir, "dev-secret-pepper"),
      prefixes,
      maxActivePerProject: e.MAX_ACTIVE_SECRETS_PER_PROJECT,
    },
    logLevel: e.LOG_LEVEL,
    playground: e.GRAPHQL_PLAYGROUND ?? !production,
    warnings,
  };
}

function authConfig(e: Environment, dataDir: string): AuthConfig {
  const common = {
    ...(e.AUTH_JWT_ISSUER ? { issuer: e.AUTH_JWT_ISSUER } : {}),
    ...(e.AUTH_JWT_AUDIENCE ? { audience: e.AUTH_JWT_AUDIENCE } : {}),
    clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
  };
  if (e.AUTH_JWKS_URL) {
    return { ...common, jwksUrl: new URL(e.AUTH_JWKS_URL), algorithms: e.AUTH_JWT_ALGORITHMS ?? ["RS256", "ES256"] };
  }
  if (e.AUTH_JWT_ALGORITHMS) {
    throw new ConfigError(
      "Invalid configuration: AUTH_JWT_ALGORITHMS applies only with AUTH_JWKS_URL (HS256 is fixed)",
    );
  }
  return {
    ...common,
    jwtSecret: e.AUTH_JWT_SECRET ?? developmentKey(dataDir, "dev-jwt-secret"),
    algorithms: ["HS256"],
  };
}

/** `mysql://user:pass@host:port/db[?socketPath=…]`, `sqlite:<path>`, or unset for `<DATA_DIR>/keyturn.sqlite`. */
export function parseDatabaseUrl(value: string | undefined, dataDir: string): DatabaseConfig {
  if (value === undefined) return { type: "sqlite", path: join(dataDir, "keyturn.sqlite") };
  if (value.startsWith("sqlite:")) {
    const path = value.slice("sqlite:".length).replace(/^\/\//, "");
    if (!path) throw new ConfigError("Invalid configuration: DATABASE_URL sqlite: needs a file path");
    return { type: "sqlite", path: path === ":memory:" ? path : resolve(path) };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("Invalid configuration: DATABASE_URL is not a URL (expected mysql://… or sqlite:<path>)");
  }
  if (url.protocol !== "mysql:" && url.protocol !== "mariadb:") {
    throw new ConfigError("Invalid configuration: DATABASE_URL must start with mysql://, mariadb:// or sqlite:");
  }
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ConfigError(
        "Invalid configuration: DATABASE_URL has a malformed %-escape (percent-encode a literal % as %25)",
      );
    }
  };
  const database = decode(url.pathname.replace(/^\//, ""));
  if (!database) throw new ConfigError("Invalid configuration: DATABASE_URL must name a database (mysql://…/keyturn)");
  const socketPath = url.searchParams.get("socketPath") ?? undefined;
  return {
    type: "mysql",
    server: url.protocol === "mariadb:" ? "mariadb" : "mysql",
    // WHATWG URLs keep the brackets of an IPv6 host; the driver wants the bare address.
    host: url.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1",
    port: url.port ? Number(url.port) : 3306,
    username: decode(url.username),
    password: decode(url.password),
    database,
    ...(socketPath ? { socketPath } : {}),
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => !!entry[1]));
}

/** Reads a development-only key from DATA_DIR, creating it (owner-only) on first use. */
function developmentKey(dataDir: string, file: string): string {
  const path = join(dataDir, file);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process (the server, or `npm run token`) created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return readFileSync(path, "utf8").trim();
}
