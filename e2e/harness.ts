// The end-to-end suite's plumbing: the product started as `npm start` starts it, Debian's Chromium,
// axe, and the searches for secrets left behind. The steps themselves are in portal.e2e.test.ts.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS } from "../bench/lib/chromium";
import { freePort } from "../bench/lib/ports";

export const ROOT = resolve(__dirname, "..");
export const VIEWPORT = { width: 1280, height: 860 };

export interface Credentials {
  keyId: string;
  secret: string;
}

// ---------------------------------------------------------------------------------------------
// Temporary folders

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** docs/portal/ with UPDATE_SCREENSHOTS=1, otherwise a temporary folder removed afterwards. */
export function screenshotsDir(): string {
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    const dir = join(ROOT, "docs/portal");
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  return tempDir("keyturn-e2e-screenshots-");
}

// ---------------------------------------------------------------------------------------------
// The product, started the way `npm start` starts it

export interface Product {
  origin: string;
  /** Everything the process printed so far. */
  log: () => string;
  stop: () => Promise<void>;
}

let running: ChildProcessWithoutNullStreams | undefined;

/** A last resort if jest is torn down without afterAll: the product must not outlive the suite. */
process.once("exit", () => {
  if (running && running.exitCode === null && running.signalCode === null) running.kill("SIGKILL");
});

/**
 * `node examples/admin-portal/dist/server/main.js`, as `npm start` runs it, on a free port with a
 * fresh DATA_DIR and nothing else configured: no DATABASE_URL, no AUTH_JWT_SECRET, like a new user.
 */
export async function startProduct(): Promise<Product> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, "examples/admin-portal/dist/server/main.js")], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: tempDir("keyturn-e2e-data-"),
      LOG_LEVEL: "warn",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running = child;
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((done) => child.once("close", () => done()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 30_000;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The product exited before it was ready:\n${output}`);
    try {
      const res = await fetch(`${origin}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return { origin, log: () => output, stop };
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${origin}/readyz did not answer 200 within 30 s (last: ${last})\n${output}`);
}

/** POST /v1/verify, as a customer's service would call it; returns the HTTP status. */
export async function verify(origin: string, credentials: Credentials): Promise<number> {
  const res = await fetch(`${origin}/v1/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(credentials),
  });
  await res.arrayBuffer();
  return res.status;
}

// ---------------------------------------------------------------------------------------------
// The browser

export async function launchBrowser(): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(tempDir("keyturn-e2e-profile-"), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    reducedMotion: "reduce",
    colorScheme: "light",
  });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

export interface Focus {
  tag: string;
  text: string;
  label: string | null;
  name: string | null;
  type: string | null;
  inDialog: boolean;
}

/** Where keyboard focus is, described for assertions. */
export function focused(page: Page): Promise<Focus> {
  return page.evaluate(() => {
    const element = document.activeElement;
    return {
      tag: element?.tagName.toLowerCase() ?? "",
      text: element?.textContent.trim() ?? "",
      label: element?.getAttribute("aria-label") ?? null,
      name: element?.getAttribute("name") ?? null,
      type: element?.getAttribute("type") ?? null,
      inDialog: !!element?.closest('[role="dialog"], [role="alertdialog"]'),
    };
  });
}

/** Presses Tab (or Shift+Tab) until focus matches; fails after `max` presses. */
export async function tabTo(
  page: Page,
  what: string,
  matches: (focus: Focus) => boolean,
  { max = 25, key = "Tab" }: { max?: number; key?: "Tab" | "Shift+Tab" } = {},
): Promise<Focus> {
  for (let presses = 0; presses <= max; presses++) {
    if (presses > 0) await page.keyboard.press(key);
    const now = await focused(page);
    if (matches(now)) return now;
  }
  throw new Error(`${what} is not reachable with ${max} × ${key} (focus is on ${JSON.stringify(await focused(page))})`);
}

/** Waits (up to 2 s) for focus to match — dialogs return it in a timeout after they close. */
export async function settledFocus(page: Page, matches: (focus: Focus) => boolean): Promise<Focus> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const now = await focused(page);
    if (matches(now) || Date.now() > deadline) return now;
    await page.waitForTimeout(25);
  }
}

// ---------------------------------------------------------------------------------------------
// Secrets left behind

/**
 * Every place a secret could linger once its reveal has closed: the serialised DOM, the page's
 * text, every field's value, the URL, history.state, the title, cookies, localStorage and
 * sessionStorage. Returns "place: secret #n" for each one found.
 */
export async function secretTraces(page: Page, secrets: string[]): Promise<string[]> {
  const html = await page.content();
  const found = await page.evaluate((needles: string[]) => {
    const places: Array<[string, string]> = [
      ["location.href", location.href],
      ["history.state", JSON.stringify(history.state)],
      ["document.title", document.title],
      ["document.cookie", document.cookie],
      ["body text", document.body.innerText],
      [
        "field values",
        [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea")]
          .map((field) => field.value)
          .join("\n"),
      ],
    ];
    for (const [name, storage] of [
      ["localStorage", localStorage],
      ["sessionStorage", sessionStorage],
    ] as const) {
      const entries: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i) ?? "";
        entries.push(`${key}=${storage.getItem(key) ?? ""}`);
      }
      places.push([name, entries.join("\n")]);
    }
    const hits: string[] = [];
    for (const [place, text] of places) {
      needles.forEach((needle, index) => {
        if (text.includes(needle)) hits.push(`${place}: secret #${index + 1}`);
      });
    }
    return hits;
  }, secrets);
  secrets.forEach((secret, index) => {
    if (html.includes(secret)) found.push(`page.content(): secret #${index + 1}`);
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// axe

interface AxeNode {
  target: unknown[];
  failureSummary?: string;
  html: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

export interface AxeFinding {
  screen: string;
  rule: string;
  target: string;
  detail: string;
}

const AXE_SOURCE = readFileSync(require.resolve("axe-core"), "utf8");

/**
 * Runs axe-core on the whole page; one finding per violating element. The portal's
 * Content-Security-Policy (script-src 'self') refuses the inline <script> that
 * page.addScriptTag({ path }) would add, so axe's source is evaluated through DevTools instead,
 * which leaves the page's CSP in force for everything else.
 */
export async function axe(page: Page, screen: string): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const { axe: runner } = window as unknown as { axe: { run(context: Document): Promise<{ violations: unknown }> } };
    return (await runner.run(document)).violations;
  });
  return (violations as AxeViolation[]).flatMap((violation) =>
    violation.nodes.map((node) => ({
      screen,
      rule: `${violation.id} (${violation.impact ?? "?"}): ${violation.help} <${violation.helpUrl}>`,
      target: node.target.map(String).join(" "),
      detail: `${node.html.slice(0, 200)} — ${(node.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 400)}`,
    })),
  );
}

/** One line per rule and element, naming every screen it was seen on. */
export function describeAxeFindings(findings: AxeFinding[]): string[] {
  const grouped = new Map<string, { screens: string[]; detail: string }>();
  for (const { screen, rule, target, detail } of findings) {
    const key = `${rule} — at ${target}`;
    const entry = grouped.get(key) ?? { screens: [], detail };
    entry.screens.push(screen);
    grouped.set(key, entry);
  }
  return [...grouped].map(([key, { screens, detail }]) => `${key} — on: ${screens.join(" | ")} — ${detail}`);
}
