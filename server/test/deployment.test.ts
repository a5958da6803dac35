// The deployment files, checked without a Docker engine: docker-compose.yml is parsed and its
// variables substituted the way Compose does, and the keyturn service's environment (on top of the
// image's ENV) must be accepted by loadConfig and point at the other services; server/Dockerfile is
// read instruction by instruction, its build context checked against .dockerignore, and both
// healthcheck scripts are run against a local HTTP server.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { parse } from "yaml";
import { loadConfig } from "../src/config";

const ROOT = resolve(__dirname, "../..");
const COMPOSE_FILE = join(ROOT, "docker-compose.yml");
const DOCKERFILE = join(ROOT, "server/Dockerfile");
const DOCKERIGNORE = join(ROOT, ".dockerignore");
const CONFIG_SOURCE = join(ROOT, "server/src/config.ts");

/** What an operator exports before `docker compose up` (long enough for production). */
const OPERATOR_ENV = {
  AUTH_JWT_SECRET: "deployment-test-jwt-secret-0123456789abcdef",
  SECRET_PEPPER: "deployment-test-pepper-0123456789abcdefghijkl",
};

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

type Environment = Record<string, string | undefined>;

interface Healthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: (string | number | { target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  healthcheck?: Healthcheck;
  restart?: string;
}

interface ComposeFile {
  version?: unknown;
  services?: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

class InterpolationError extends Error {}

/**
 * Compose's variable substitution: `$$`, `$VAR`, `${VAR}`, `${VAR-default}`, `${VAR:-default}`,
 * `${VAR?message}` and `${VAR:?message}` (the colon forms also treat an empty value as unset).
 */
function interpolate(value: string, env: Environment): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare) => {
      if (match === "$$") return "$";
      const name = (braced ?? bare) as string;
      const current = env[name];
      if (!operator) return current ?? "";
      const missing = operator.startsWith(":") ? !current : current === undefined;
      if (!missing) return current as string;
      if (operator.endsWith("-")) return argument ?? "";
      throw new InterpolationError(`${name}: ${argument ?? ""}`);
    },
  );
}

/** A service's `environment`, as written (mapping or KEY=VALUE list). */
function rawEnvironment(service: Service): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf("=");
        return at < 0 ? [entry, ""] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value ?? "")]));
}

/** A service's environment after substitution from the operator's shell. */
function resolvedEnvironment(service: Service, shell: Environment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(rawEnvironment(service)).map(([name, value]) => [name, interpolate(value, shell)]),
  );
}

function healthcheckCommand(healthcheck: Healthcheck | undefined): string[] {
  const test = healthcheck?.test;
  if (test === undefined) return [];
  return typeof test === "string" ? ["CMD-SHELL", test] : test;
}

function dependsOn(service: Service): Record<string, { condition?: string }> {
  const value = service.depends_on ?? {};
  return Array.isArray(value) ? Object.fromEntries(value.map((name) => [name, {}])) : value;
}

/** [published host port, container port] of each `ports` entry. */
function portMappings(service: Service): [string | undefined, number][] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === "object") {
      return [port.published === undefined ? undefined : String(port.published), Number(port.target)];
    }
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, "")
      .split(":");
    const container = Number(parts.at(-1));
    return [parts.length > 1 ? parts.at(-2) : undefined, container];
  });
}

/** The names EnvironmentSchema in config.ts declares: the only variables Keyturn reads. */
function configVariableNames(): Set<string> {
  const source = readFileSync(CONFIG_SOURCE, "utf8");
  const block = /const EnvironmentSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (block === undefined) throw new Error("EnvironmentSchema not found in server/src/config.ts");
  return new Set([...block.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1] as string));
}

// ---------------------------------------------------------------------------------------------
// server/Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions by stage: comments dropped, `\` continuations joined, `${ARG}` in FROM resolved. */
function parseDockerfile(text: string): Stage[] {
  const logicalLines: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue; // comments, also inside a continuation
    const continued = /\\\s*$/.test(line);
    pending += continued ? line.replace(/\\\s*$/, " ") : line;
    if (continued) continue;
    if (pending.trim()) logicalLines.push(pending.trim());
    pending = "";
  }
  if (pending.trim()) logicalLines.push(pending.trim());

  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const [keyword = "", args = ""] = line.split(/\s+(.*)/s);
    const instruction = { keyword: keyword.toUpperCase(), args: args.trim() };
    if (instruction.keyword === "FROM") {
      const [image = "", as, name] = instruction.args
        .replace(/--platform=\S+\s+/, "")
        .replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => globalArgs[(a ?? b) as string] ?? "")
        .split(/\s+/);
      stages.push({ from: image, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === "ARG") {
      const [name = "", value = ""] = instruction.args.split("=");
      globalArgs[name] = value;
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** `ENV A=1 B="2"` and the legacy `ENV A 1`. */
function envInstructionValues(stage: Stage): Record<string, string> {
  const values: Record<string, string> = {};
  for (const { args } of instructions(stage, "ENV")) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
      const [name = "", value = ""] = args.split(/\s+(.*)/s);
      values[name] = value;
      continue;
    }
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      const raw = match[2] as string;
      values[match[1] as string] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    }
  }
  return values;
}

/** COPY's sources and destination, flags (--from, --chown, …) apart. */
function copyArguments(args: string): { flags: string[]; sources: string[]; destination: string } {
  const tokens = args.startsWith("[") ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = tokens.filter((token) => token.startsWith("--"));
  const paths = tokens.filter((token) => !token.startsWith("--"));
  return { flags, sources: paths.slice(0, -1), destination: paths.at(-1) ?? "" };
}

/** The exec-form array of CMD or HEALTHCHECK … CMD. */
function execForm(args: string): string[] {
  const json = args.slice(args.indexOf("["));
  return JSON.parse(json) as string[];
}

// ---------------------------------------------------------------------------------------------
// .dockerignore (Docker's rules: last matching pattern wins; a pattern matching a parent directory
// matches everything below it; `*` stays within one path segment, `**` spans any number)

function dockerignoreRules(text: string): { exclude: boolean; pattern: RegExp }[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const glob = (negated ? line.slice(1) : line).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      let source = "";
      for (let i = 0; i < glob.length; i++) {
        const c = glob.charAt(i);
        if (c === "*" && glob.charAt(i + 1) === "*") {
          i++;
          if (glob.charAt(i + 1) === "/") {
            i++;
            source += "(?:.*/)?";
          } else {
            source += ".*";
          }
        } else if (c === "*") {
          source += "[^/]*";
        } else if (c === "?") {
          source += "[^/]";
        } else {
          source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        }
      }
      return { exclude: !negated, pattern: new RegExp(`^${source}$`) };
    });
}

function inBuildContext(path: string, rules: { exclude: boolean; pattern: RegExp }[]): boolean {
  const segments = path.split("/");
  const selfAndParents = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const rule of rules) {
    if (selfAndParents.some((candidate) => rule.pattern.test(candidate))) excluded = rule.exclude;
  }
  return !excluded;
}

/** Files under `dir` (relative to the repository), less what installs and builds leave there. */
function sourceFiles(dir: string): string[] {
  const absolute = join(ROOT, dir);
  if (!statSync(absolute).isDirectory()) return [dir];
  return readdirSync(absolute).flatMap((entry) =>
    ["node_modules", "dist"].includes(entry) || entry.endsWith(".tsbuildinfo")
      ? []
      : sourceFiles(relative(ROOT, join(absolute, entry))),
  );
}

// ---------------------------------------------------------------------------------------------

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done) => {
    execFile(process.execPath, ["-e", script], { env, timeout: 10_000 }, (error) => {
      done(error ? (typeof error.code === "number" ? error.code : -1) : 0);
    });
  });
}

const compose = parse(readFileSync(COMPOSE_FILE, "utf8")) as ComposeFile;
const services = compose.services ?? {};
const mysql = services.mysql ?? {};
const redis = services.redis ?? {};
const keyturn = services.keyturn ?? {};
const stages = parseDockerfile(readFileSync(DOCKERFILE, "utf8"));
const runtime = stages.at(-1) ?? { from: "", name: undefined, instructions: [] };
const imageEnv = envInstructionValues(runtime);
// The image's last CMD, as the exec-form array the container runs.
const imageCommand = execForm(instructions(runtime, "CMD").at(-1)?.args ?? "[]");

/** The container's environment: the image's ENV, overridden by the service's `environment`. */
function containerEnvironment(shell: Environment): Record<string, string> {
  return { ...imageEnv, ...resolvedEnvironment(keyturn, shell) };
}

describe("docker-compose.yml", () => {
  it("uses the Compose Specification: services mysql, redis and keyturn, no top-level version", () => {
    expect(compose.version).toBeUndefined();
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["mysql", "redis", "keyturn"]));
  });

  it("runs MySQL 8 with the keyturn database, utf8mb4, a named volume and a mysqladmin ping healthcheck", () => {
    expect(mysql.image).toMatch(/^(docker\.io\/)?(library\/)?mysql:8(\.\d+)*$/);
    expect(resolvedEnvironment(mysql, {}).MYSQL_DATABASE).toBe("keyturn");
    expect([mysql.command ?? []].flat().join(" ")).toContain("--character-set-server=utf8mb4");

    const test = healthcheckCommand(mysql.healthcheck);
    expect(test[0]).toMatch(/^CMD(-SHELL)?$/);
    expect(test.slice(1).join(" ")).toMatch(/\bmysqladmin\b.*\bping\b/);
    expect(mysql.healthcheck).toEqual(
      expect.objectContaining({
        interval: expect.any(String),
        timeout: expect.any(String),
        retries: expect.any(Number),
        start_period: expect.any(String),
      }),
    );

    const named = (mysql.volumes ?? []).map((volume) =>
      typeof volume === "string" ? volume.split(":") : [volume.source, volume.target],
    );
    const data = named.find(([, target]) => target === "/var/lib/mysql");
    expect(data?.[0]).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data?.[0]);
  });

  it("runs Redis 7 with a redis-cli ping healthcheck", () => {
    expect(redis.image).toMatch(/^(docker\.io\/)?(library\/)?redis:7([.-].*)?$/);
    expect(healthcheckCommand(redis.healthcheck).slice(1).join(" ")).toMatch(/\bredis-cli\b.*\bping\b/);
  });

  it("builds keyturn from server/Dockerfile with the repository root as context", () => {
    expect(keyturn.build).toEqual(expect.objectContaining({ context: ".", dockerfile: "server/Dockerfile" }));
    expect(existsSync(DOCKERFILE)).toBe(true);
    expect(existsSync(DOCKERIGNORE)).toBe(true);
  });

  it("starts keyturn only once mysql and redis are healthy, restarts it, and checks its health", () => {
    const dependencies = dependsOn(keyturn);
    expect(dependencies.mysql?.condition).toBe("service_healthy");
    expect(dependencies.redis?.condition).toBe("service_healthy");
    expect(keyturn.restart).toBe("unless-stopped");
    expect(healthcheckCommand(keyturn.healthcheck).join(" ")).toMatch(/\/(healthz|readyz)\b/);
  });

  it("publishes port 4000, the port Keyturn listens on", () => {
    const config = loadConfig(containerEnvironment(OPERATOR_ENV));
    expect(config.http.port).toBe(4000);
    expect(config.http.host).toBe("0.0.0.0");
    expect(portMappings(keyturn)).toContainEqual(["4000", config.http.port]);
  });

  it("refuses to start without AUTH_JWT_SECRET and SECRET_PEPPER (the ${VAR:?message} form)", () => {
    const raw = rawEnvironment(keyturn);
    for (const name of ["AUTH_JWT_SECRET", "SECRET_PEPPER"] as const) {
      expect(raw[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));
      const { [name]: _left, ...without } = OPERATOR_ENV;
      expect(() => resolvedEnvironment(keyturn, without)).toThrow(InterpolationError);
      expect(() => resolvedEnvironment(keyturn, { ...OPERATOR_ENV, [name]: "" })).toThrow(name);
    }
    expect(() => resolvedEnvironment(keyturn, OPERATOR_ENV)).not.toThrow();
  });

  it("sets only variables that server/src/config.ts knows", () => {
    const known = configVariableNames();
    // The parse found the whole schema, not a fragment that would reject every name.
    expect(known.size).toBeGreaterThan(25);
    expect([...known]).toEqual(expect.arrayContaining(["NODE_ENV", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"]));

    expect(Object.keys(rawEnvironment(keyturn)).filter((name) => !known.has(name))).toEqual([]);
    expect(Object.keys(imageEnv).filter((name) => !known.has(name))).toEqual([]);
  });

  it.each([
    ["the local defaults", OPERATOR_ENV],
    [
      "the operator's own MySQL credentials",
      {
        ...OPERATOR_ENV,
        MYSQL_USER: "svc_keyturn",
        MYSQL_PASSWORD: "s3cret-Pass_word",
        MYSQL_ROOT_PASSWORD: "root-pw",
      },
    ],
  ])("with %s, is a production configuration loadConfig accepts, wired to the mysql and redis services", (_, shell) => {
    const env = containerEnvironment(shell);
    expect(env.NODE_ENV).toBe("production");
    expect(env.DATABASE_URL).toMatch(/^mysql:\/\//);

    const config = loadConfig(env);
    expect(config.environment).toBe("production");
    expect(config.playground).toBe(false);
    expect(config.secrets.pepper).toBe(OPERATOR_ENV.SECRET_PEPPER);
    expect(config.auth.jwtSecret).toBe(OPERATOR_ENV.AUTH_JWT_SECRET);

    // DATABASE_URL names the mysql service and the user, password and database it creates.
    const database = resolvedEnvironment(mysql, shell);
    expect(config.database).toEqual({
      type: "mysql",
      server: "mysql",
      host: "mysql",
      port: 3306,
      username: database.MYSQL_USER,
      password: database.MYSQL_PASSWORD,
      database: database.MYSQL_DATABASE,
    });
    expect(Object.keys(services)).toContain(config.database.type === "mysql" ? config.database.host : "");

    // REDIS_URL names the redis service on Redis's port.
    const redisUrl = new URL(config.redisUrl ?? "");
    expect(redisUrl.protocol).toBe("redis:");
    expect(redisUrl.hostname).toBe("redis");
    expect(Object.keys(services)).toContain(redisUrl.hostname);
    expect(redisUrl.port || "6379").toBe("6379");
  });
});

describe("server/Dockerfile", () => {
  const build = stages[0] ?? runtime;
  const runs = (stage: Stage) => instructions(stage, "RUN").map(({ args }) => args);

  it("is multi-stage on a Node 20+ image", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.from).toMatch(/^(docker\.io\/)?(library\/)?node:(2\d|[3-9]\d)\b/);
  });

  it("builds with npm ci from the root lockfile and tsc -b server, with a toolchain for better-sqlite3", () => {
    expect(runs(build).join("\n")).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    expect(
      instructions(build, "COPY").some(({ args }) => copyArguments(args).sources.includes("package-lock.json")),
    ).toBe(true);
    expect(runs(build).join("\n")).toMatch(/\bnpm ci\b/);
    expect(runs(build).join("\n")).toMatch(/\btsc -b server\b/);
    // Pruned to production dependencies before anything is copied into the runtime stage.
    expect(runs(build).join("\n")).toMatch(/\bnpm (ci|prune)\b[^\n]*--omit=dev/);
    expect(runs(build).join("\n")).toMatch(/\bnpm rebuild better-sqlite3\b/);
  });

  it("applies the repository's patches to the production dependencies, after pruning to them", () => {
    const patches = readdirSync(join(ROOT, "patches")).filter((file) => file.endsWith(".patch"));
    expect(patches.length).toBeGreaterThan(0);
    expect(instructions(build, "COPY").some(({ args }) => copyArguments(args).sources.includes("patches/"))).toBe(true);
    const script = runs(build).join("\n");
    expect(script).toMatch(/apt-get install[^\n]*\bpatch\b/);
    // A patch that no longer applies fails the build instead of shipping the dependency unpatched.
    const applied = script.search(
      /for p in patches\/\*\.patch; do patch -p1 --forward --batch < "\$p" \|\| exit 1; done/,
    );
    const pruned = script.search(/\bnpm ci\b[^\n]*--omit=dev/);
    expect(pruned).toBeGreaterThanOrEqual(0);
    expect(applied).toBeGreaterThan(pruned);
  });

  it("ships no compiler in the runtime image, only the built server and its dependencies", () => {
    expect(runs(runtime).join("\n")).not.toMatch(/\bg\+\+|\bmake\b|\bpython3\b/);
    const copied = instructions(runtime, "COPY").map(({ args }) => copyArguments(args));
    for (const copy of copied) expect(copy.flags.some((flag) => flag.startsWith("--from="))).toBe(true);
    const sources = copied.flatMap((copy) => copy.sources);
    expect(sources).toEqual(expect.arrayContaining(["/app/server/dist", "/app/shared/dist", "/app/node_modules"]));
  });

  it("runs node server/dist/main.js in production, bound to all interfaces, as a non-root user, exposing 4000", () => {
    expect(imageCommand).toEqual([
      "node",
      "--initial-old-space-size=128",
      "--no-allocation-site-pretenuring",
      "--no-memory-reducer",
      "server/dist/main.js",
    ]);
    expect(imageEnv).toEqual(expect.objectContaining({ NODE_ENV: "production", HOST: "0.0.0.0" }));

    const user = instructions(runtime, "USER").at(-1)?.args ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
    // USER comes before CMD, so the server process is the one that drops root.
    const order = runtime.instructions.map((instruction) => instruction.keyword);
    expect(order.lastIndexOf("USER")).toBeLessThan(order.lastIndexOf("CMD"));

    const exposed = instructions(runtime, "EXPOSE").flatMap(({ args }) => args.split(/\s+/));
    expect(exposed.map((port) => port.replace(/\/tcp$/, ""))).toContain("4000");
  });

  it("is quoted exactly, flags included, wherever README.md gives the command that runs Keyturn (two places)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const quoted = [...readme.matchAll(/`(node [^`]*server\/dist\/main\.js)`/g)].map((match) => match[1]);
    expect(quoted).toHaveLength(2);
    for (const command of quoted) expect(command).toBe(imageCommand.join(" "));
  });

  it("has a HEALTHCHECK that asks /healthz with node (no curl in slim images)", () => {
    const [healthcheck] = instructions(runtime, "HEALTHCHECK");
    const command = execForm(healthcheck?.args ?? "[]");
    expect(command.slice(0, 2)).toEqual(["node", "-e"]);
    expect(command[2]).toContain("/healthz");
  });

  it("has a build context (.dockerignore) with every file it copies and nothing it must not send", () => {
    const rules = dockerignoreRules(readFileSync(DOCKERIGNORE, "utf8"));
    const fromContext = stages
      .flatMap((stage) => instructions(stage, "COPY"))
      .map(({ args }) => copyArguments(args))
      .filter((copy) => !copy.flags.some((flag) => flag.startsWith("--from=")))
      .flatMap((copy) => copy.sources);
    expect(fromContext.length).toBeGreaterThan(3);

    for (const source of fromContext) {
      expect(existsSync(join(ROOT, source))).toBe(true);
      // Everything the copied folder holds, less its tests and the Dockerfile itself.
      const needed = sourceFiles(source.replace(/\/$/, "")).filter(
        (file) => !/(^|\/)test\/|\.test\.ts$|(^|\/)Dockerfile$/.test(file),
      );
      expect(needed.length).toBeGreaterThan(0);
      expect(needed.filter((file) => !inBuildContext(file, rules))).toEqual([]);
    }
    for (const tsconfig of ["server/tsconfig.json", "shared/tsconfig.json", "tsconfig.base.json"]) {
      expect(inBuildContext(tsconfig, rules)).toBe(true);
    }

    const neverSent = [
      "node_modules/yaml/package.json",
      "server/node_modules/ioredis/package.json",
      "server/dist/main.js",
      "shared/dist/index.js",
      "server/tsconfig.tsbuildinfo",
      ".git/HEAD",
      "data/keyturn.sqlite",
      "data/dev-secret-pepper",
      "coverage/lcov.info",
      ".env",
      "server/.env",
      "docs/portal/01-login.png",
      "widget/docs/screenshots/section-light.png",
      "e2e/portal.e2e.test.ts",
    ];
    expect(neverSent.filter((path) => inBuildContext(path, rules))).toEqual([]);
  });
});

describe("the healthcheck scripts", () => {
  let server: Server;
  let port = 0;
  let status = 200;
  const paths: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((closed) => server.close(closed));
  });

  /** Both healthcheck scripts, aimed at `target` (Compose's runs in the container, where Keyturn is on 4000). */
  const scripts = (target: number): [string, string, NodeJS.ProcessEnv][] => {
    const [dockerfileCheck] = instructions(runtime, "HEALTHCHECK");
    const composeCheck = healthcheckCommand(keyturn.healthcheck);
    expect(composeCheck.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    const composeScript = composeCheck[3] ?? "";
    expect(composeScript).toMatch(/port: ?4000\b/);
    // The image's check reads PORT, as the server does.
    const env = { ...process.env, PORT: String(target) };
    return [
      ["Dockerfile", execForm(dockerfileCheck?.args ?? "[]")[2] ?? "", env],
      ["docker-compose.yml", composeScript.replaceAll(/port: ?4000\b/g, `port: ${target}`), env],
    ];
  };

  it.each(["Dockerfile", "docker-compose.yml"])(
    "in %s exit 0 on 200, 1 on 503 and 1 when nothing listens",
    async (file) => {
      const pick = (target: number) => {
        const found = scripts(target).find(([name]) => name === file);
        if (!found) throw new Error(`no healthcheck script in ${file}`);
        return { script: found[1], env: found[2] };
      };
      const live = pick(port);
      status = 200;
      paths.length = 0;
      expect(await runNode(live.script, live.env)).toBe(0);
      expect(paths).toHaveLength(1);
      expect(paths[0]).toMatch(/^\/(healthz|readyz)$/);
      status = 503;
      expect(await runNode(live.script, live.env)).toBe(1);

      const closed = createServer();
      await new Promise<void>((listening) => closed.listen(0, "127.0.0.1", listening));
      const unused = (closed.address() as AddressInfo).port;
      await new Promise((done) => closed.close(done));
      const dead = pick(unused);
      expect(await runNode(dead.script, dead.env)).toBe(1);
    },
  );
});
