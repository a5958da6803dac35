// Widget first render (issue "Performance", item 7): the section with 50 secrets, in headless
// Chromium, must be on screen ≤ 100 ms after the list's data has arrived; the bundle size is tracked.
//
// Nothing of Keyturn is mocked: the real server (server/dist/main.js) runs in a child process on a
// temporary SQLite database, 50 secrets are created in one project through GraphQL, and a small
// portal page of our own (node:http) embeds the built custom element (widget/dist/element.js) with
// a token endpoint, as widget/test/widget.browser.test.ts does. Each run is a page load in a fresh
// browser context. In the page, the clock starts when the response of the apiSecrets query has
// fully arrived (its resource timing responseEnd) and stops once all 50 rows are in the DOM and a
// frame has been painted with them (MutationObserver, then a double requestAnimationFrame).
//
//   npx tsc -p bench && node bench/dist/widget-render.js   # prints a WidgetRenderResult as JSON
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { SignJWT } from "jose";
import { chromium, type Browser } from "playwright-core";

export interface WidgetRenderResult {
  secrets: number;
  runs: number;
  samplesMs: number[];
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  /**
   * The library as widget/scripts/size.mjs budgets it: dist/index.js (peers excluded) and
   * dist/styles.css. `jsBytes`/`cssBytes` are the files as they lie in widget/dist; the gzip sizes
   * are size.mjs's (gzip -9, the stylesheet minified first as a host's CSS minifier would), so
   * jsGzipBytes + cssGzipBytes is what the 25 kB budget counts. The page measured above loads
   * dist/element.js, the standalone build (React, Apollo Client and the styles inside):
   * `elementJsBytes`/`elementJsGzipBytes`.
   */
  bundle: {
    jsBytes: number;
    cssBytes: number;
    jsGzipBytes: number;
    cssGzipBytes: number;
    elementJsBytes: number;
    elementJsGzipBytes: number;
  };
}

export interface WidgetRenderOptions {
  /** Measured page loads, after one warm-up load. Default 10. */
  runs?: number;
  /** Progress lines (not the result). Default: silent. */
  log?: (line: string) => void;
}

const SECRETS = 50;
const PROJECT = "bench";
const ADMIN = "bench@example.com";
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const VIEWPORT = { width: 1280, height: 800 };
const ROW_SELECTOR = "keyturn-api-secrets li.kt-row";
const KEY_ID_SELECTOR = ".kt-fact dd.kt-mono";
const RUN_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// The repository and its builds

/** The repository root: the nearest folder above this file (or the working directory) with widget/ and server/. */
function findRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, "widget/package.json")) && existsSync(join(dir, "server/package.json"))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(
    `Cannot find the Keyturn repository (with widget/ and server/) above ${__dirname} or ${process.cwd()}`,
  );
}

function run(command: string, args: string[], cwd: string, log: (line: string) => void): void {
  log(`$ ${command} ${args.join(" ")}`);
  try {
    execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`\`${command} ${args.join(" ")}\` failed:\n${stdout ?? ""}${stderr ?? ""}`, { cause: error });
  }
}

const WIDGET_FILES = ["element.js", "index.js", "styles.css"];

function ensureBuilds(root: string, log: (line: string) => void): void {
  const dist = join(root, "widget/dist");
  if (WIDGET_FILES.some((file) => !existsSync(join(dist, file)))) {
    run("npm", ["run", "-w", "widget", "build", "--silent"], root, log);
    const missing = WIDGET_FILES.filter((file) => !existsSync(join(dist, file)));
    if (missing.length) {
      throw new Error(`widget/dist lacks ${missing.join(", ")} after \`npm run -w widget build\``);
    }
  }
  if (!existsSync(join(root, "server/dist/main.js"))) {
    run("npx", ["tsc", "-b", "server"], root, log);
    if (!existsSync(join(root, "server/dist/main.js"))) {
      throw new Error("server/dist/main.js is missing after `npx tsc -b server`");
    }
  }
}

const gzipped = (buffer: Buffer): number => gzipSync(buffer, { level: 9 }).length;

/** As widget/scripts/size.mjs minifies the stylesheet before gzipping it. */
function minifyCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{}:;,>])\s*/g, "$1");
}

function bundleSizes(root: string): WidgetRenderResult["bundle"] {
  const file = (name: string) => readFileSync(join(root, "widget/dist", name));
  const js = file("index.js");
  const css = file("styles.css");
  const element = file("element.js");
  return {
    jsBytes: js.length,
    cssBytes: css.length,
    jsGzipBytes: gzipped(js),
    cssGzipBytes: gzipped(Buffer.from(minifyCss(css.toString("utf8")))),
    elementJsBytes: element.length,
    elementJsGzipBytes: gzipped(element),
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics

const round = (ms: number): number => Math.round(ms * 100) / 100;

function median(sorted: number[]): number {
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2;
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------
// The page

/**
 * Runs in the page before any of its scripts. Notes every GraphQL request the page makes (to check
 * that the list query is the only one before the rows appear), and the moments the 50th row
 * enters the DOM and the frame after the one that painted it begins. Plain JS: it is serialised.
 */
function probeScript(graphqlUrl: string, expectedRows: number): string {
  return `(() => {
  const probe = { graphql: [], rowsAt: null, paintedAt: null };
  window.__keyturnBench = probe;
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url === ${JSON.stringify(graphqlUrl)}) {
      const body = init && typeof init.body === "string" ? init.body : "";
      let operationName = null;
      try { operationName = JSON.parse(body).operationName ?? null; } catch {}
      probe.graphql.push({ operationName, apiSecrets: body.includes("apiSecrets"), at: performance.now() });
    }
    return originalFetch.apply(this, arguments);
  };
  const observer = new MutationObserver(() => {
    if (probe.rowsAt !== null || document.querySelectorAll(${JSON.stringify(ROW_SELECTOR)}).length < ${expectedRows}) return;
    probe.rowsAt = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => { probe.paintedAt = performance.now(); }));
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;
}

/** Evaluated in the page once the probe has seen the paint. */
const READ_PROBE = `(() => {
  const probe = window.__keyturnBench;
  const rows = [...document.querySelectorAll(${JSON.stringify(ROW_SELECTOR)})];
  const section = document.querySelector("keyturn-api-secrets section.kt-section");
  return {
    graphql: probe.graphql,
    rowsAt: probe.rowsAt,
    paintedAt: probe.paintedAt,
    resources: performance.getEntriesByType("resource").map((entry) => ({
      name: entry.name,
      initiatorType: entry.initiatorType,
      responseEnd: entry.responseEnd,
    })),
    state: section ? section.getAttribute("data-state") : null,
    listHeight: section ? section.getBoundingClientRect().height : 0,
    keyIds: rows.map((row) => {
      const cell = row.querySelector(${JSON.stringify(KEY_ID_SELECTOR)});
      return cell ? cell.textContent.trim() : "";
    }),
  };
})()`;

interface ProbeReading {
  graphql: Array<{ operationName: string | null; apiSecrets: boolean; at: number }>;
  rowsAt: number | null;
  paintedAt: number | null;
  resources: Array<{ name: string; initiatorType: string; responseEnd: number }>;
  state: string | null;
  listHeight: number;
  keyIds: string[];
}

function hostPage(apiOrigin: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Settings · ${PROJECT} · Keyturn render benchmark</title>
    <link rel="icon" href="data:,">
    <style>body { font: 16px system-ui, sans-serif; margin: 0 } main { max-width: 900px; margin: 0 auto; padding: 32px }</style>
    <script type="module" src="/element.js"></script>
  </head>
  <body>
    <main>
      <h1>Project settings</h1>
      <keyturn-api-secrets
        project-id="${PROJECT}"
        endpoint="${apiOrigin}/graphql"
        token-url="/token"
        example-request-url="${apiOrigin}/analytics/v1/report"
      ></keyturn-api-secrets>
    </main>
  </body>
</html>`;
}

// ---------------------------------------------------------------------------------------------
// Processes

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createNetServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => {
        done(port);
      });
    });
  });
}

const sleep = (ms: number) =>
  new Promise<void>((done) => {
    setTimeout(done, ms);
  });

interface ApiServer {
  child: ChildProcessWithoutNullStreams;
  exited: Promise<void>;
  output: () => string;
}

async function startApiServer(
  root: string,
  dir: string,
  apiOrigin: string,
  port: number,
  corsOrigin: string,
  keys: { jwtSecret: string; pepper: string },
): Promise<ApiServer> {
  const child = spawn(process.execPath, [join(root, "server/dist/main.js")], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, "k.sqlite")}`,
      AUTH_JWT_SECRET: keys.jwtSecret,
      SECRET_PEPPER: keys.pepper,
      LOG_LEVEL: "warn",
      CORS_ORIGINS: corsOrigin,
      MAX_ACTIVE_SECRETS_PER_PROJECT: String(SECRETS),
      RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((done) => child.once("close", () => done()));
  const server: ApiServer = { child, exited, output: () => output };
  const deadline = Date.now() + 20_000;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw Object.assign(new Error(`The Keyturn server exited before it was ready:\n${output}`), { server });
    }
    try {
      const res = await fetch(`${apiOrigin}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return server;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(100);
  }
  throw Object.assign(new Error(`${apiOrigin}/readyz did not answer 200 within 20 s (last: ${last})\n${output}`), {
    server,
  });
}

async function stopApiServer(server: ApiServer): Promise<void> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }, 5_000);
  await server.exited;
  clearTimeout(timer);
}

function listen(server: Server): Promise<number> {
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      done(typeof address === "object" && address ? address.port : 0);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => {
      done();
    });
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------------------
// The benchmark

export async function measureWidgetRender(options: WidgetRenderOptions = {}): Promise<WidgetRenderResult> {
  const runs = options.runs ?? 10;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, not ${runs}`);
  const log =
    options.log ??
    (() => {
      /* silent */
    });
  const root = findRoot();
  ensureBuilds(root, log);
  const bundle = bundleSizes(root);
  const elementJs = readFileSync(join(root, "widget/dist/element.js"));

  const jwtSecret = randomBytes(32).toString("base64url");
  const pepper = randomBytes(32).toString("base64url");
  const key = new TextEncoder().encode(jwtSecret);
  const mintToken = () =>
    new SignJWT({ projects: { [PROJECT]: "admin" } })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(ADMIN)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(key);

  const dir = mkdtempSync(join(tmpdir(), "keyturn-bench-widget-"));
  let api: ApiServer | undefined;
  let host: Server | undefined;
  let browser: Browser | undefined;
  // Should this process end without reaching `finally`, the server child must not outlive it.
  const killApiNow = () => {
    if (api && api.child.exitCode === null && api.child.signalCode === null) api.child.kill("SIGKILL");
  };
  process.once("exit", killApiNow);
  try {
    let apiOrigin = "";
    host = createHttpServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
      const reply = (status: number, type: string, body: string | Buffer) => {
        res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
        res.end(body);
      };
      if (path === "/") reply(200, "text/html; charset=utf-8", hostPage(apiOrigin));
      else if (path === "/element.js") reply(200, "text/javascript", elementJs);
      else if (path === "/token") {
        mintToken().then(
          (token) => {
            reply(200, "application/json", JSON.stringify({ token }));
          },
          (error: unknown) => {
            reply(500, "text/plain", String(error));
          },
        );
      } else reply(404, "text/plain", "Not found");
    });
    const hostOrigin = `http://127.0.0.1:${await listen(host)}`;
    const apiPort = await freePort();
    apiOrigin = `http://127.0.0.1:${apiPort}`;
    const graphqlUrl = `${apiOrigin}/graphql`;
    log(`Starting the Keyturn server on ${apiOrigin} (data in ${dir})`);
    try {
      api = await startApiServer(root, dir, apiOrigin, apiPort, hostOrigin, { jwtSecret, pepper });
    } catch (error) {
      api = (error as { server?: ApiServer }).server;
      throw error;
    }

    const graphql = async (query: string, variables: Record<string, unknown>): Promise<unknown> => {
      const res = await fetch(graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await mintToken()}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: unknown };
      if (body.errors || !res.ok) throw new Error(`GraphQL answered ${res.status}: ${JSON.stringify(body)}`);
      return body.data;
    };

    log(`Creating ${SECRETS} secrets in project "${PROJECT}"`);
    const keyIds: string[] = [];
    for (let i = 1; i <= SECRETS; i++) {
      const data = (await graphql(
        "mutation($input: CreateSecretInput!) { createSecret(input: $input) { credentials { keyId } } }",
        { input: { projectId: PROJECT, name: `Service ${String(i).padStart(2, "0")}` } },
      )) as { createSecret: { credentials: { keyId: string } } };
      keyIds.push(data.createSecret.credentials.keyId);
    }
    const listed = (await graphql("query($projectId: ID!) { apiSecrets(projectId: $projectId) { currentKeyId } }", {
      projectId: PROJECT,
    })) as { apiSecrets: Array<{ currentKeyId: string }> };
    const expectedKeyIds = [...keyIds].sort();
    const listedKeyIds = listed.apiSecrets.map((secret) => secret.currentKeyId).sort();
    if (JSON.stringify(listedKeyIds) !== JSON.stringify(expectedKeyIds)) {
      throw new Error(`The server lists ${listedKeyIds.length} secrets, not the ${SECRETS} just created`);
    }

    log(`Launching ${CHROMIUM}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const probe = probeScript(graphqlUrl, SECRETS);

    const loadOnce = async (): Promise<{ totalMs: number; domMs: number }> => {
      if (!browser) throw new Error("no browser");
      const context = await browser.newContext({ viewport: VIEWPORT });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(`console: ${message.text()}`);
        });
        await page.addInitScript(probe);
        await page.goto(`${hostOrigin}/`);
        try {
          await page.waitForFunction("window.__keyturnBench && window.__keyturnBench.paintedAt !== null", undefined, {
            timeout: RUN_TIMEOUT_MS,
            polling: 50,
          });
        } catch (error) {
          throw new Error(
            `The ${SECRETS} rows did not appear within ${RUN_TIMEOUT_MS} ms` +
              (errors.length ? `; page errors:\n${errors.join("\n")}` : ""),
            { cause: error },
          );
        }
        const reading = await page.evaluate<ProbeReading>(READ_PROBE);
        if (errors.length) throw new Error(`The page reported errors:\n${errors.join("\n")}`);
        // Exactly one GraphQL request, the list query, before the rows appeared.
        const requests = reading.graphql.filter((request) => reading.rowsAt === null || request.at < reading.rowsAt);
        if (requests.length !== 1 || !requests[0]?.apiSecrets) {
          throw new Error(`Expected one apiSecrets query before the rows, saw ${JSON.stringify(reading.graphql)}`);
        }
        const responses = reading.resources.filter(
          (entry) => entry.name === graphqlUrl && entry.initiatorType === "fetch" && entry.responseEnd > 0,
        );
        const dataAt = responses[0]?.responseEnd;
        if (responses.length !== 1 || dataAt === undefined) {
          throw new Error(`Expected one resource timing entry for ${graphqlUrl}, saw ${JSON.stringify(responses)}`);
        }
        if (reading.rowsAt === null || reading.paintedAt === null) throw new Error("The probe saw no rows");
        // The rows are real: the 50 secrets the server created, by Key ID, laid out on screen.
        const shownKeyIds = [...reading.keyIds].sort();
        if (JSON.stringify(shownKeyIds) !== JSON.stringify(expectedKeyIds)) {
          throw new Error(
            `The page shows ${reading.keyIds.length} rows whose Key IDs are not the ${SECRETS} created: ` +
              JSON.stringify(reading.keyIds.slice(0, 5)),
          );
        }
        if (reading.state !== "ready" || reading.listHeight <= 0) {
          throw new Error(`The section is "${String(reading.state)}", ${reading.listHeight} px tall`);
        }
        return { totalMs: reading.paintedAt - dataAt, domMs: reading.rowsAt - dataAt };
      } finally {
        await context.close();
      }
    };

    const warmUp = await loadOnce();
    log(`warm-up: ${warmUp.totalMs.toFixed(1)} ms (rows in the DOM after ${warmUp.domMs.toFixed(1)} ms)`);
    const samplesMs: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const sample = await loadOnce();
      samplesMs.push(round(sample.totalMs));
      log(`run ${i}/${runs}: ${sample.totalMs.toFixed(1)} ms (rows in the DOM after ${sample.domMs.toFixed(1)} ms)`);
    }
    const sorted = [...samplesMs].sort((a, b) => a - b);
    return {
      secrets: SECRETS,
      runs,
      samplesMs,
      medianMs: round(median(sorted)),
      p90Ms: round(percentile(sorted, 90)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      bundle,
    };
  } finally {
    await browser?.close().catch(() => undefined);
    if (host) await closeServer(host);
    if (api) await stopApiServer(api);
    process.removeListener("exit", killApiNow);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  measureWidgetRender({
    log: (line) => {
      process.stderr.write(`${line}\n`);
    },
  }).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
