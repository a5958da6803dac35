import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "@jest/globals";
import { ConfigError, loadConfig, parseDatabaseUrl } from "./config";

const JWT_SECRET = "host-portal-jwt-secret-0123456789abcdef";
const PEPPER = "server-side-pepper-0123456789abcdefghij";
const JWKS_URL = "https://login.example.com/.well-known/jwks.json";

const PRODUCTION = { NODE_ENV: "production", AUTH_JWT_SECRET: JWT_SECRET, SECRET_PEPPER: PEPPER };

/** The ConfigError loadConfig throws for `env`; fails the test if it accepts it or throws anything else. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted the configuration");
}

function databaseUrlError(value: string): ConfigError {
  try {
    parseDatabaseUrl(value, "/srv/keyturn");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parseDatabaseUrl accepted ${value}`);
}

const tempDirs: string[] = [];

// Development keys are written under DATA_DIR: every test that may write gets its own directory,
// so nothing lands in the repository's ./data and no test sees another's keys.
function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyturn-config-"));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const dataDir = tempDataDir();
    const config = loadConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: JWT_SECRET, SECRET_PEPPER: PEPPER });
    expect(config.environment).toBe("development");
    expect(config.http).toEqual({ host: "127.0.0.1", port: 4000, trustProxy: false, corsOrigins: [] });
    expect(config.dataDir).toBe(dataDir);
    expect(config.database).toEqual({ type: "sqlite", path: join(dataDir, "keyturn.sqlite") });
    expect(config.secrets.maxActivePerProject).toBe(10);
    expect(config.secrets.prefixes).toEqual({ keyId: "ktid", secret: "ktsk" });
    expect(config.auth).toEqual({ jwtSecret: JWT_SECRET, algorithms: ["HS256"], clockToleranceSeconds: 5 });
    expect(config.logLevel).toBe("info");
    expect(config.playground).toBe(true);
  });

  it("keeps DATA_DIR at ./data, resolved against the working directory, when unset", () => {
    // Both keys are given, so nothing is written to the repository's ./data.
    const config = loadConfig({ AUTH_JWT_SECRET: JWT_SECRET, SECRET_PEPPER: PEPPER });
    expect(config.dataDir).toBe(resolve("data"));
    expect(config.database).toEqual({ type: "sqlite", path: join(resolve("data"), "keyturn.sqlite") });
  });

  it("turns the playground on in the test environment and lets GRAPHQL_PLAYGROUND override it", () => {
    const base = { NODE_ENV: "test", AUTH_JWT_SECRET: JWT_SECRET, SECRET_PEPPER: PEPPER };
    expect(loadConfig(base).playground).toBe(true);
    expect(loadConfig({ ...base, GRAPHQL_PLAYGROUND: "false" }).playground).toBe(false);
    expect(loadConfig({ ...PRODUCTION, GRAPHQL_PLAYGROUND: "1" }).playground).toBe(true);
  });

  it("treats empty-string variables as unset", () => {
    const dataDir = tempDataDir();
    // A .env line such as `PORT=` must fall back to the default rather than fail validation.
    const config = loadConfig({
      NODE_ENV: "",
      HOST: "",
      PORT: "",
      DATA_DIR: dataDir,
      DATABASE_URL: "",
      AUTH_JWT_SECRET: "",
      SECRET_PEPPER: "",
      KEY_ID_PREFIX: "",
      SECRET_PREFIX: "",
      MAX_ACTIVE_SECRETS_PER_PROJECT: "",
      GRAPHQL_PLAYGROUND: "",
    });
    expect(config.environment).toBe("development");
    expect(config.http.host).toBe("127.0.0.1");
    expect(config.http.port).toBe(4000);
    expect(config.database).toEqual({ type: "sqlite", path: join(dataDir, "keyturn.sqlite") });
    expect(config.secrets.prefixes).toEqual({ keyId: "ktid", secret: "ktsk" });
    expect(config.secrets.maxActivePerProject).toBe(10);
    expect(config.playground).toBe(true);
  });

  it("treats an empty AUTH_JWT_SECRET in production as missing, not as too short", () => {
    const error = configError({ ...PRODUCTION, AUTH_JWT_SECRET: "" });
    expect(error.message).toContain("AUTH_JWT_SECRET");
    expect(error.message).toContain("required in production");
  });

  it.each(["abc", "70000", "-1", "40.5", " ", "0x1F90", "1e3"])(
    "refuses PORT=%s with a message naming PORT",
    (port) => {
      expect(configError({ ...PRODUCTION, PORT: port }).message).toContain("PORT");
    },
  );

  it("reads CORS_ORIGINS as a list of origins, and refuses anything else naming the variable", () => {
    const config = loadConfig({ ...PRODUCTION, CORS_ORIGINS: "https://portal.example.com/, http://localhost:5173" });
    expect(config.http.corsOrigins).toEqual(["https://portal.example.com", "http://localhost:5173"]);
    expect(loadConfig(PRODUCTION).http.corsOrigins).toEqual([]);
    expect(configError({ ...PRODUCTION, CORS_ORIGINS: "portal.example.com" }).message).toContain("CORS_ORIGINS");
  });

  it("accepts PORT=0 (pick a free port)", () => {
    expect(loadConfig({ ...PRODUCTION, PORT: "0" }).http.port).toBe(0);
  });

  it("refuses an AUTH_JWT_SECRET shorter than 32 characters without echoing it", () => {
    const short = "short-but-secret-value-1234567"; // 30 characters
    const error = configError({ ...PRODUCTION, AUTH_JWT_SECRET: short });
    expect(error.message).toContain("AUTH_JWT_SECRET");
    expect(error.message).not.toContain(short);
  });

  it("refuses a SECRET_PEPPER shorter than 32 characters without echoing it", () => {
    const short = "pepper-too-short-0123";
    const error = configError({ ...PRODUCTION, SECRET_PEPPER: short });
    expect(error.message).toContain("SECRET_PEPPER");
    expect(error.message).not.toContain(short);
  });

  it("accepts short keys outside production, with a warning that names them but not their values", () => {
    const config = loadConfig({ AUTH_JWT_SECRET: "dev-secret", SECRET_PEPPER: "dev-pepper", DATA_DIR: "/nonexistent" });
    expect(config.auth.jwtSecret).toBe("dev-secret");
    expect(config.warnings).toEqual([
      expect.stringContaining("AUTH_JWT_SECRET is shorter than 32"),
      expect.stringContaining("SECRET_PEPPER is shorter than 32"),
    ]);
    expect(config.warnings.join(" ")).not.toMatch(/dev-secret|dev-pepper/);
  });

  it("accepts an AUTH_JWT_SECRET of exactly 32 characters", () => {
    const secret = "x".repeat(32);
    expect(loadConfig({ ...PRODUCTION, AUTH_JWT_SECRET: secret }).auth.jwtSecret).toBe(secret);
  });

  it("refuses AUTH_JWT_SECRET and AUTH_JWKS_URL together", () => {
    const error = configError({ ...PRODUCTION, AUTH_JWKS_URL: JWKS_URL });
    expect(error.message).toContain("AUTH_JWT_SECRET");
    expect(error.message).toContain("AUTH_JWKS_URL");
    expect(error.message).not.toContain(JWT_SECRET);
  });

  it("refuses production without AUTH_JWT_SECRET or AUTH_JWKS_URL", () => {
    const error = configError({ NODE_ENV: "production", SECRET_PEPPER: PEPPER, DATA_DIR: tempDataDir() });
    expect(error.message).toContain("AUTH_JWT_SECRET");
  });

  it("refuses production without SECRET_PEPPER", () => {
    const error = configError({ NODE_ENV: "production", AUTH_JWT_SECRET: JWT_SECRET, DATA_DIR: tempDataDir() });
    expect(error.message).toContain("SECRET_PEPPER");
  });

  it("starts in production with both keys and defaults the playground off", () => {
    const config = loadConfig(PRODUCTION);
    expect(config.environment).toBe("production");
    expect(config.auth.jwtSecret).toBe(JWT_SECRET);
    expect(config.secrets.pepper).toBe(PEPPER);
    expect(config.playground).toBe(false);
  });

  it("starts in production with AUTH_JWKS_URL in place of AUTH_JWT_SECRET", () => {
    const config = loadConfig({ NODE_ENV: "production", AUTH_JWKS_URL: JWKS_URL, SECRET_PEPPER: PEPPER });
    expect(config.auth.jwksUrl?.href).toBe(JWKS_URL);
    expect(config.auth.jwtSecret).toBeUndefined();
  });

  it("refuses a KEY_ID_PREFIX equal to SECRET_PREFIX", () => {
    const error = configError({ ...PRODUCTION, KEY_ID_PREFIX: "acme", SECRET_PREFIX: "acme" });
    expect(error.message).toContain("KEY_ID_PREFIX");
    expect(error.message).toContain("SECRET_PREFIX");
  });

  it.each([
    ["KEY_ID_PREFIX", "Acme"],
    ["KEY_ID_PREFIX", "1acme"],
    ["SECRET_PREFIX", "a"],
    ["SECRET_PREFIX", "acme-live"],
    ["SECRET_PREFIX", "a".repeat(25)],
  ])("refuses %s=%s naming the variable", (name, value) => {
    expect(configError({ ...PRODUCTION, [name]: value }).message).toContain(name);
  });

  it("uses custom prefixes that match the pattern", () => {
    const config = loadConfig({ ...PRODUCTION, KEY_ID_PREFIX: "acme_id", SECRET_PREFIX: "acme_live" });
    expect(config.secrets.prefixes).toEqual({ keyId: "acme_id", secret: "acme_live" });
  });

  it("reads DATABASE_URL into the database config", () => {
    const config = loadConfig({ ...PRODUCTION, DATABASE_URL: "mysql://keyturn:pw@db.internal/keyturn" });
    expect(config.database).toMatchObject({ type: "mysql", host: "db.internal", database: "keyturn" });
  });

  it("refuses a postgres DATABASE_URL naming DATABASE_URL", () => {
    expect(configError({ ...PRODUCTION, DATABASE_URL: "postgres://u:p@h/db" }).message).toContain("DATABASE_URL");
  });

  describe("development keys", () => {
    it("generates the JWT secret and pepper into DATA_DIR, owner-only, when unset", () => {
      const dataDir = tempDataDir();
      const config = loadConfig({ NODE_ENV: "development", DATA_DIR: dataDir });
      const jwtPath = join(dataDir, "dev-jwt-secret");
      const pepperPath = join(dataDir, "dev-secret-pepper");

      expect(config.auth.jwtSecret).toBe(readFileSync(jwtPath, "utf8").trim());
      expect(config.secrets.pepper).toBe(readFileSync(pepperPath, "utf8").trim());
      // As strong as what production demands, and not one key reused for both purposes.
      expect(config.auth.jwtSecret?.length).toBeGreaterThanOrEqual(32);
      expect(config.secrets.pepper.length).toBeGreaterThanOrEqual(32);
      expect(config.auth.jwtSecret).not.toBe(config.secrets.pepper);
      expect(statSync(jwtPath).mode & 0o777).toBe(0o600);
      expect(statSync(pepperPath).mode & 0o777).toBe(0o600);
    });

    it("creates a missing DATA_DIR for them", () => {
      const dataDir = join(tempDataDir(), "nested", "data");
      const config = loadConfig({ DATA_DIR: dataDir });
      expect(readFileSync(join(dataDir, "dev-secret-pepper"), "utf8").trim()).toBe(config.secrets.pepper);
    });

    it("reuses the generated keys on the next start", () => {
      const dataDir = tempDataDir();
      const first = loadConfig({ DATA_DIR: dataDir });
      const second = loadConfig({ DATA_DIR: dataDir });
      expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
      expect(second.secrets.pepper).toBe(first.secrets.pepper);
      // A fresh directory gets fresh keys: they are random, not a constant.
      expect(loadConfig({ DATA_DIR: tempDataDir() }).secrets.pepper).not.toBe(first.secrets.pepper);
    });

    it("generates only what is missing", () => {
      const dataDir = tempDataDir();
      const config = loadConfig({ DATA_DIR: dataDir, AUTH_JWT_SECRET: JWT_SECRET });
      expect(config.auth.jwtSecret).toBe(JWT_SECRET);
      expect(existsSync(join(dataDir, "dev-jwt-secret"))).toBe(false);
      expect(existsSync(join(dataDir, "dev-secret-pepper"))).toBe(true);
    });
  });

  describe("JWKS", () => {
    it("defaults the algorithms to RS256 and ES256", () => {
      const config = loadConfig({ ...PRODUCTION, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: JWKS_URL });
      expect(config.auth).toEqual({
        jwksUrl: new URL(JWKS_URL),
        algorithms: ["RS256", "ES256"],
        clockToleranceSeconds: 5,
      });
    });

    it("takes AUTH_JWT_ALGORITHMS as a comma-separated list", () => {
      const config = loadConfig({
        ...PRODUCTION,
        AUTH_JWT_SECRET: undefined,
        AUTH_JWKS_URL: JWKS_URL,
        AUTH_JWT_ALGORITHMS: "ES384, EdDSA",
        AUTH_JWT_ISSUER: "https://login.example.com/",
        AUTH_JWT_AUDIENCE: "keyturn",
      });
      expect(config.auth).toMatchObject({
        algorithms: ["ES384", "EdDSA"],
        issuer: "https://login.example.com/",
        audience: "keyturn",
      });
    });

    it("refuses AUTH_JWT_ALGORITHMS without AUTH_JWKS_URL", () => {
      const error = configError({ ...PRODUCTION, AUTH_JWT_ALGORITHMS: "RS256" });
      expect(error.message).toContain("AUTH_JWT_ALGORITHMS");
    });

    it.each(["HS256", "none", "RS256,"])("refuses AUTH_JWT_ALGORITHMS=%s", (algorithms) => {
      // A symmetric or empty algorithm next to a JWKS would reopen algorithm confusion.
      const env = { ...PRODUCTION, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: JWKS_URL };
      expect(configError({ ...env, AUTH_JWT_ALGORITHMS: algorithms }).message).toContain("AUTH_JWT_ALGORITHMS");
    });

    it("refuses a plain-http AUTH_JWKS_URL in production, and allows it in development", () => {
      const url = "http://login.example.com/jwks.json";
      const env = { ...PRODUCTION, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: url };
      expect(configError(env).message).toMatch(/AUTH_JWKS_URL must use https/);
      expect(loadConfig({ AUTH_JWKS_URL: url, SECRET_PEPPER: PEPPER }).auth.jwksUrl?.href).toBe(url);
    });

    it.each(["file:///etc/jwks.json", "not a url"])("refuses AUTH_JWKS_URL=%s", (url) => {
      const env = { ...PRODUCTION, AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: url };
      expect(configError(env).message).toContain("AUTH_JWKS_URL");
    });
  });
});

describe("parseDatabaseUrl", () => {
  it("defaults to <dataDir>/keyturn.sqlite", () => {
    expect(parseDatabaseUrl(undefined, "/srv/keyturn")).toEqual({
      type: "sqlite",
      path: join("/srv/keyturn", "keyturn.sqlite"),
    });
  });

  // toMatchObject: the connection fields are what matter here; other keys (driver hints) may be added.
  it("reads a mysql URL with a percent-encoded password and a port", () => {
    const database = parseDatabaseUrl("mysql://u:p%40ss@db.example:3307/keyturn", "/srv/keyturn");
    expect(database).toMatchObject({
      type: "mysql",
      host: "db.example",
      port: 3307,
      username: "u",
      password: "p@ss",
      database: "keyturn",
    });
    expect(database).not.toHaveProperty("socketPath");
  });

  it("reads a mariadb URL the same way, on the default port", () => {
    expect(parseDatabaseUrl("mariadb://keyturn:secret@maria.internal/secrets", "/srv/keyturn")).toMatchObject({
      type: "mysql",
      host: "maria.internal",
      port: 3306,
      username: "keyturn",
      password: "secret",
      database: "secrets",
    });
  });

  it("passes socketPath through for Unix-socket connections", () => {
    const url = "mysql://root@localhost/test?socketPath=/run/mysqld/mysqld.sock";
    expect(parseDatabaseUrl(url, "/srv/keyturn")).toMatchObject({
      type: "mysql",
      host: "localhost",
      port: 3306,
      username: "root",
      password: "",
      database: "test",
      socketPath: "/run/mysqld/mysqld.sock",
    });
  });

  it("resolves a relative sqlite path to an absolute one", () => {
    const database = parseDatabaseUrl("sqlite:./x.sqlite", "/srv/keyturn");
    expect(database).toEqual({ type: "sqlite", path: resolve("x.sqlite") });
    expect(database.type === "sqlite" && isAbsolute(database.path)).toBe(true);
  });

  it("keeps an absolute sqlite path written as sqlite:///…", () => {
    expect(parseDatabaseUrl("sqlite:///var/lib/keyturn/k.sqlite", "/srv/keyturn")).toEqual({
      type: "sqlite",
      path: "/var/lib/keyturn/k.sqlite",
    });
  });

  it("keeps sqlite::memory: as the in-memory database", () => {
    expect(parseDatabaseUrl("sqlite::memory:", "/srv/keyturn")).toEqual({ type: "sqlite", path: ":memory:" });
  });

  it.each(["mysql://u:hunter2-password@db.example", "mysql://u:hunter2-password@db.example/"])(
    "refuses %s, which names no database, without echoing the password",
    (value) => {
      const { message } = databaseUrlError(value);
      expect(message).toContain("DATABASE_URL");
      expect(message).not.toContain("hunter2");
    },
  );

  it.each(["sqlite:", "sqlite://"])("refuses %s, which names no file", (value) => {
    expect(databaseUrlError(value).message).toContain("DATABASE_URL");
  });

  it.each(["postgres://u:p@db.example/keyturn", "mongodb://db.example/keyturn", "db.example:3306/keyturn", "garbage"])(
    "refuses %s naming DATABASE_URL",
    (value) => {
      expect(databaseUrlError(value).message).toContain("DATABASE_URL");
    },
  );

  // Defect: config.ts decodes the password with decodeURIComponent, which throws a URIError for a bare
  // "%" — a common character in generated passwords. main.ts then prints a stack trace instead of a
  // message naming DATABASE_URL.
  it("refuses a password with an unencoded % as a ConfigError naming DATABASE_URL", () => {
    const { message } = databaseUrlError("mysql://keyturn:100%hunter2@db.example/keyturn");
    expect(message).toContain("DATABASE_URL");
    expect(message).not.toContain("hunter2");
  });

  // Defect: URL.hostname keeps the brackets of an IPv6 literal, and mysql2 (net.connect) cannot
  // resolve "[::1]" (ENOTFOUND); the host must be handed over bare.
  it("hands an IPv6 host to the driver without brackets", () => {
    expect(parseDatabaseUrl("mysql://keyturn:pw@[::1]:3306/keyturn", "/srv/keyturn")).toMatchObject({
      host: "::1",
      port: 3306,
    });
  });
});
