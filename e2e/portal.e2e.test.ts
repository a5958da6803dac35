// The seed flow, end to end, as a new user meets it: the product started as `npm start` starts it
// (a fresh DATA_DIR, the default development keys), the demo admin portal at "/" driven in headless
// Debian Chromium by playwright-core. The steps run in order on one page and share its state: sign
// in, Projects → Acme Web → Security, create, reveal, confirm, try the credentials, rotate (at once,
// then with a 1-hour grace), revoke, the same flow by keyboard only, and the viewer's read-only view.
// axe scans every screen; a screenshot follows every step, into a temporary folder or, with
// UPDATE_SCREENSHOTS=1, into docs/portal/ for the README.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { BrowserContext, Locator, Page } from "playwright-core";
import {
  axe,
  describeAxeFindings,
  focused,
  launchBrowser,
  removeTempDirs,
  screenshotsDir,
  secretTraces,
  settledFocus,
  startProduct,
  tabTo,
  verify,
  type AxeFinding,
  type Credentials,
  type Product,
} from "./harness";

const ADMIN = { email: "admin@acme.test", password: "keyturn-admin" };
const VIEWER = { email: "viewer@acme.test", password: "keyturn-viewer" };
const SCREENSHOTS = screenshotsDir();

let product: Product | undefined;
let context: BrowserContext | undefined;
let page: Page;
/** Uncaught errors and console errors on the page, apart from the Try panel's expected 401s. */
const pageErrors: string[] = [];
const axeFindings: AxeFinding[] = [];

/** The credentials issued along the way, in order: created, rotated at once, rotated with grace. */
const issued: Credentials[] = [];
const origin = () => {
  if (!product) throw new Error("The product is not running");
  return product.origin;
};

// ---------------------------------------------------------------------------------------------
// Page helpers

const section = () => page.locator("#api-secret-section section.kt-section");
const tryForm = () => page.locator("#try-it form");

function row(name: string): Locator {
  return section()
    .locator("li.kt-row")
    .filter({ has: page.getByRole("heading", { name, exact: true }) });
}

async function fact(rowLocator: Locator, label: string): Promise<string> {
  const item = rowLocator.locator(".kt-fact").filter({ has: page.locator("dt", { hasText: label }) });
  return ((await item.locator("dd").textContent()) ?? "").trim();
}

function revealDialog(reason: "created" | "rotated"): Locator {
  return page.getByRole("dialog", {
    name: reason === "created" ? "Your new API credentials" : "Your rotated API credentials",
  });
}

async function readCredentials(reveal: Locator): Promise<Credentials> {
  return {
    keyId: await reveal.getByLabel("Key ID", { exact: true }).inputValue(),
    secret: await reveal.getByLabel("Secret", { exact: true }).inputValue(),
  };
}

/** Ticks "I have stored these credentials", presses Done, and waits for the dialog to go. */
async function confirmStored(reveal: Locator): Promise<void> {
  expect(await reveal.getByRole("button", { name: "Done" }).isDisabled()).toBe(true);
  await reveal.getByLabel("I have stored these credentials").check();
  await reveal.getByRole("button", { name: "Done" }).click();
  await reveal.waitFor({ state: "detached" });
}

/** Waits until the widget has loaded the project's secrets; returns "empty" or "ready". */
async function widgetLoaded(): Promise<string | null> {
  await page.locator('#api-secret-section section.kt-section:not([data-state="loading"])').waitFor();
  return section().getAttribute("data-state");
}

/** Fills "Try your credentials", presses Send request, and returns the status line shown. */
async function tryCredentials(credentials: Credentials): Promise<string> {
  const form = tryForm();
  await form.getByLabel("Key ID", { exact: true }).fill(credentials.keyId);
  await form.getByLabel("Secret", { exact: true }).fill(credentials.secret);
  await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/analytics/v1/report")),
    form.getByRole("button", { name: "Send request" }).click(),
  ]);
  await form.getByRole("button", { name: "Send request" }).waitFor();
  // The panel empties the secret field after every request.
  expect(await form.getByLabel("Secret", { exact: true }).inputValue()).toBe("");
  return ((await form.locator(".try-status").textContent()) ?? "").trim();
}

async function signIn(account: { email: string; password: string }): Promise<void> {
  await page.goto(`${origin()}/login`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await Promise.all([page.waitForURL(`${origin()}/projects`), page.getByRole("button", { name: "Sign in" }).click()]);
}

async function signOut(): Promise<void> {
  await Promise.all([page.waitForURL(`${origin()}/login`), page.getByRole("button", { name: "Sign out" }).click()]);
}

async function scan(screen: string): Promise<void> {
  axeFindings.push(...(await axe(page, screen)));
}

async function screenshot(file: string): Promise<void> {
  // Let focus rings and the caret settle; the widget reduces motion on request.
  await page.waitForTimeout(100);
  await page.screenshot({ path: join(SCREENSHOTS, file), animations: "disabled", caret: "hide" });
}

async function scrollToTop(): Promise<void> {
  await page.evaluate(() => {
    window.scrollTo(0, 0);
  });
}

/** Scrolls so that the element's bottom edge sits just above the bottom of the viewport. */
async function scrollToShowBottomOf(locator: Locator): Promise<void> {
  await locator.evaluate((element) => {
    window.scrollBy(0, element.getBoundingClientRect().bottom - window.innerHeight + 24);
  });
}

/** Asserts that no secret issued so far is anywhere on the page, and no dialog is open. */
async function expectNoSecretsOnPage(secrets = issued.map((credentials) => credentials.secret)): Promise<void> {
  expect(await page.locator('[role="dialog"], [role="alertdialog"]').count()).toBe(0);
  expect(await secretTraces(page, secrets)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------

describe("the demo admin portal, end to end in Chromium, as `npm start` runs it", () => {
  beforeAll(async () => {
    product = await startProduct();
    context = await launchBrowser();
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const { url } = message.location();
      // Chromium logs every 4xx answer; the Try panel's refused credentials are expected ones.
      if (url.endsWith("/analytics/v1/report") && message.text().includes("status of 401")) return;
      pageErrors.push(`console: ${message.text()} (${url})`);
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await product?.stop();
    removeTempDirs();
  }, 30_000);

  it("1. log in: the login page asks for the administrator credentials", async () => {
    await page.goto(`${origin()}/`);
    expect(page.url()).toBe(`${origin()}/login`);
    await page.getByRole("heading", { name: "Sign in to the Admin Portal" }).waitFor();
    await page.getByText("Use your administrator credentials").waitFor();
    // A control: axe runs under the portal's CSP and does report a nameless button.
    await page.evaluate(() => document.body.append(Object.assign(document.createElement("button"), { id: "control" })));
    expect((await axe(page, "control")).map((finding) => finding.rule)).toEqual([
      expect.stringMatching(/^button-name /),
    ]);
    await page.evaluate(() => document.getElementById("control")?.remove());
    await scan("login");
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await screenshot("01-login.png");
    await Promise.all([page.waitForURL(`${origin()}/projects`), page.getByRole("button", { name: "Sign in" }).click()]);
    // The session is an httpOnly cookie: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe("");
    const cookies = await page.context().cookies(origin());
    expect(cookies.map(({ name, httpOnly }) => ({ name, httpOnly }))).toEqual([
      { name: "acme_portal_session", httpOnly: true },
    ]);
  }, 30_000);

  it("2. Projects → Acme Web → Security", async () => {
    await page.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
    const cards = page.locator("li.card");
    expect(await cards.locator("h2").allTextContents()).toEqual(["Acme Web", "Acme Mobile"]);
    expect(await cards.locator(".role").allTextContents()).toEqual([
      "Your role: Administrator",
      "Your role: Administrator",
    ]);
    await scan("projects");
    await screenshot("02-projects.png");

    await Promise.all([
      page.waitForURL(`${origin()}/projects/acme-web/settings`),
      page.getByRole("link", { name: "Acme Web" }).click(),
    ]);
    await page.getByRole("heading", { name: "Acme Web settings" }).waitFor();
    await scan("general settings");
    await screenshot("02a-settings.png");

    await Promise.all([
      page.waitForURL(`${origin()}/projects/acme-web/security`),
      page.getByRole("navigation", { name: "Project settings" }).getByRole("link", { name: "Security" }).click(),
    ]);
    expect(await widgetLoaded()).toBe("empty");
    await section().getByText("No API secrets yet").waitFor();
    await page.getByRole("heading", { name: "Try your credentials" }).waitFor();
    await scan("security, empty");
    await screenshot("03-security-empty.png");
  }, 30_000);

  it("3. Create secret, with a name", async () => {
    await section().getByRole("button", { name: "Create secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Create secret" });
    await dialog.waitFor();
    await dialog.getByLabel("Name (optional)").fill("Reporting service");
    await scan("create dialog");
    await screenshot("04-create.png");
    await dialog.getByRole("button", { name: "Create secret" }).click();
    await revealDialog("created").waitFor();
    await dialog.waitFor({ state: "detached" });
  }, 30_000);

  it("4. the reveal dialog shows the Key ID and the Secret, and a curl line with both", async () => {
    const reveal = revealDialog("created");
    const credentials = await readCredentials(reveal);
    expect(credentials.keyId).toMatch(/^\S{8,}$/);
    expect(credentials.secret).toMatch(/^\S{20,}$/);
    expect(credentials.secret).not.toBe(credentials.keyId);
    issued.push(credentials);
    await reveal.getByText("will not be shown again", { exact: false }).waitFor();
    // A control for the later searches: while the reveal is open, they do find the secret.
    expect(await secretTraces(page, [credentials.secret])).toEqual(
      expect.arrayContaining(["page.content(): secret #1", "field values: secret #1"]),
    );

    // The ready curl line calls this server's Analytics API with both values.
    const curl = await reveal.getByLabel("Try them", { exact: true }).inputValue();
    const reportUrl = `${origin()}/analytics/v1/report`;
    expect(curl).toBe(`curl -u '${credentials.keyId}:${credentials.secret}' '${reportUrl}'`);
    if (existsSync("/usr/bin/curl")) {
      // Run it as pasted into a terminal, asking curl only to print the status.
      const status = execFileSync("sh", ["-c", `${curl} -s -o /dev/null -w '%{http_code}'`], { encoding: "utf8" });
      expect(status).toBe("200");
    }

    await scan("reveal dialog (created)");
    await screenshot("05-reveal.png");

    // It cannot be closed before the confirmation: Done is disabled, Escape only points at the checkbox.
    expect(await reveal.getByRole("button", { name: "Done" }).isDisabled()).toBe(true);
    await page.keyboard.press("Escape");
    await reveal.getByText("Confirm that you have stored the credentials to close this window.").waitFor();
    expect(await reveal.isVisible()).toBe(true);
    await scan("reveal dialog (created), nudged");
  }, 30_000);

  it("5. confirm and close: the secret is listed with its Key ID and a masked hint, never its value", async () => {
    const [first] = issued as [Credentials];
    await confirmStored(revealDialog("created"));
    expect((await settledFocus(page, (focus) => focus.text === "Create secret")).text).toBe("Create secret");

    expect(await section().getAttribute("data-state")).toBe("ready");
    expect(await section().locator("li.kt-row").count()).toBe(1);
    const listed = row("Reporting service");
    expect(await fact(listed, "Key ID")).toBe(first.keyId);
    const hint = await fact(listed, "Secret");
    expect(hint).toMatch(/…/);
    expect(hint).not.toBe(first.secret);
    expect(first.secret.endsWith(hint.split("…")[1] ?? "")).toBe(true);
    const html = await page.content();
    expect(html).toContain(first.keyId);
    expect(html).toContain(hint);
    await expectNoSecretsOnPage();
    await scan("security, list");
    await scrollToTop();
    await screenshot("06-listed.png");
  }, 30_000);

  it("6. a reload, and going back and forward through history, never show the secret again", async () => {
    await page.reload();
    expect(await widgetLoaded()).toBe("ready");
    await expectNoSecretsOnPage();

    await page.goBack();
    expect(page.url()).toBe(`${origin()}/projects/acme-web/settings`);
    await expectNoSecretsOnPage();
    await page.goBack();
    expect(page.url()).toBe(`${origin()}/projects`);
    await expectNoSecretsOnPage();

    await page.goForward();
    await page.goForward();
    expect(page.url()).toBe(`${origin()}/projects/acme-web/security`);
    expect(await widgetLoaded()).toBe("ready");
    await expectNoSecretsOnPage();
  }, 30_000);

  it("7. the credentials work: Try your credentials answers 200 OK, and so does POST /v1/verify", async () => {
    const [first] = issued as [Credentials];
    expect(await tryCredentials(first)).toBe("200 OK — the Analytics API accepted these credentials.");
    const result = tryForm().locator(".try-result");
    expect(JSON.parse((await result.locator("pre").textContent()) ?? "")).toMatchObject({
      projectId: "acme-web",
      keyId: first.keyId,
    });
    expect(await verify(origin(), first)).toBe(200);
    await expectNoSecretsOnPage();
    await scan("try panel, 200");
    await scrollToShowBottomOf(result);
    await screenshot("07-try-200.png");
  }, 30_000);

  it("8. Rotate → Immediately: new credentials, revealed once", async () => {
    const [first] = issued as [Credentials];
    const listed = row("Reporting service");
    await scrollToTop();
    await listed.getByRole("button", { name: "Rotate Reporting service" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Rotate “Reporting service”?" });
    await dialog.waitFor();
    await dialog.getByLabel("Immediately").check();
    expect(await dialog.getByLabel("Immediately").isChecked()).toBe(true);
    await dialog.getByText("no longer be valid", { exact: false }).waitFor();
    await scan("rotate dialog");
    await screenshot("08-rotate.png");
    await dialog.getByRole("button", { name: "Rotate secret" }).click();

    const reveal = revealDialog("rotated");
    await reveal.waitFor();
    const second = await readCredentials(reveal);
    expect(second.keyId).not.toBe(first.keyId);
    expect(second.secret).not.toBe(first.secret);
    issued.push(second);
    await scan("reveal dialog (rotated)");
    await screenshot("08a-rotated-reveal.png");
    await confirmStored(reveal);
    const back = await settledFocus(page, (focus) => focus.label === "Rotate Reporting service");
    expect(back.label).toBe("Rotate Reporting service");
    expect(await fact(listed, "Key ID")).toBe(second.keyId);
    await expectNoSecretsOnPage();
  }, 30_000);

  it("9. after an immediate rotation the old credentials get 401 and the new ones 200", async () => {
    const [first, second] = issued as [Credentials, Credentials];
    expect(await tryCredentials(first)).toBe("401 Unauthorized — the Analytics API refused these credentials.");
    await scrollToShowBottomOf(tryForm().locator(".try-result"));
    await screenshot("08b-try-old-401.png");
    expect(await tryCredentials(second)).toBe("200 OK — the Analytics API accepted these credentials.");
    expect(await verify(origin(), first)).toBe(401);
    expect(await verify(origin(), second)).toBe(200);
    await expectNoSecretsOnPage();
  }, 30_000);

  it("10. Rotate → In 1 hour: the previous and the newest credentials both work, and the row says so", async () => {
    const [first, second] = issued as [Credentials, Credentials];
    const listed = row("Reporting service");
    await scrollToTop();
    await listed.getByRole("button", { name: "Rotate Reporting service" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Rotate “Reporting service”?" });
    await dialog.waitFor();
    await dialog.getByLabel("In 1 hour").check();
    await dialog.getByText("The current credentials keep working for 1 hour, then stop.").waitFor();
    await scan("rotate dialog, 1 hour");
    await screenshot("08c-rotate-grace.png");
    await dialog.getByRole("button", { name: "Rotate secret" }).click();

    const reveal = revealDialog("rotated");
    await reveal.waitFor();
    const third = await readCredentials(reveal);
    expect(third.keyId).not.toBe(second.keyId);
    issued.push(third);
    await confirmStored(reveal);
    await expectNoSecretsOnPage();

    const notice = listed.locator(".kt-notice");
    await notice.waitFor();
    expect((await notice.textContent())?.trim()).toBe(`Previous credentials ${second.keyId} stop working in 1 hour`);
    expect(await fact(listed, "Key ID")).toBe(third.keyId);
    await scan("security, list with grace notice");
    await scrollToTop();
    await screenshot("09-grace-notice.png");

    expect(await tryCredentials(second)).toBe("200 OK — the Analytics API accepted these credentials.");
    expect(await tryCredentials(third)).toBe("200 OK — the Analytics API accepted these credentials.");
    expect(await verify(origin(), second)).toBe(200);
    expect(await verify(origin(), third)).toBe(200);
    expect(await verify(origin(), first)).toBe(401);
  }, 30_000);

  it("11. Revoke, typing “revoke”: none of the credentials work any more", async () => {
    const listed = row("Reporting service");
    await scrollToTop();
    await listed.getByRole("button", { name: "Revoke Reporting service" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Revoke “Reporting service”?" });
    await dialog.waitFor();
    const confirm = dialog.getByRole("button", { name: "Revoke secret" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type “revoke” to confirm").fill("revoke");
    expect(await confirm.isDisabled()).toBe(false);
    await scan("revoke dialog");
    await screenshot("09a-revoke.png");
    await confirm.click();
    await dialog.waitFor({ state: "detached" });

    await listed.locator('.kt-badge[data-status="revoked"]').waitFor();
    expect(await listed.getByRole("button").count()).toBe(0);
    const [, second, third] = issued as [Credentials, Credentials, Credentials];
    expect(await tryCredentials(third)).toBe("401 Unauthorized — the Analytics API refused these credentials.");
    expect(await tryCredentials(second)).toBe("401 Unauthorized — the Analytics API refused these credentials.");
    for (const credentials of issued) expect(await verify(origin(), credentials)).toBe(401);
    await scan("security, revoked, try panel 401");
    await scrollToTop();
    await scrollToShowBottomOf(tryForm().locator(".try-result"));
    await screenshot("09b-revoked.png");
  }, 30_000);

  it("12. by keyboard only, from the login page: sign in → Security → create → reveal → confirm", async () => {
    const isText = (text: string) => (focus: { text: string }) => focus.text === text;
    // Sign out with the keyboard too: Tab to the button, Enter.
    await tabTo(page, "Sign out", isText("Sign out"), { max: 60 });
    await Promise.all([page.waitForURL(`${origin()}/login`), page.keyboard.press("Enter")]);

    // The login form: Tab to Email, type, Tab to Password, type, Enter.
    await tabTo(page, "the Email field", (focus) => focus.name === "email");
    await page.keyboard.type(ADMIN.email);
    await page.keyboard.press("Tab");
    expect((await focused(page)).name).toBe("password");
    await page.keyboard.type(ADMIN.password);
    await Promise.all([page.waitForURL(`${origin()}/projects`), page.keyboard.press("Enter")]);

    // Projects → Acme Web → the Security tab, each a link reached with Tab and followed with Enter.
    await tabTo(page, "the Acme Web link", isText("Acme Web"));
    await Promise.all([page.waitForURL(`${origin()}/projects/acme-web/settings`), page.keyboard.press("Enter")]);
    await tabTo(page, "the Security tab", isText("Security"));
    await Promise.all([page.waitForURL(`${origin()}/projects/acme-web/security`), page.keyboard.press("Enter")]);
    expect(await widgetLoaded()).toBe("ready");

    // Create secret: Space opens the dialog, focus lands in the name field.
    await tabTo(page, "Create secret", isText("Create secret"));
    await page.keyboard.press("Space");
    const createDialog = page.getByRole("dialog", { name: "Create secret" });
    await createDialog.waitFor();
    const inName = await settledFocus(page, (focus) => focus.tag === "input" && focus.inDialog);
    expect(inName).toMatchObject({ tag: "input", inDialog: true });
    await page.keyboard.type("Keyboard app");
    await page.keyboard.press("Enter");

    // The reveal: focus inside it; Tab to the confirmation, Space, Tab to Done (Shift+Tab back and
    // forth on the way), Enter.
    const reveal = revealDialog("created");
    await reveal.waitFor();
    expect((await settledFocus(page, (focus) => focus.inDialog)).inDialog).toBe(true);
    const credentials = await readCredentials(reveal);
    issued.push(credentials);
    await tabTo(page, "the confirmation checkbox", (focus) => focus.type === "checkbox");
    await page.keyboard.press("Space");
    expect(await reveal.getByLabel("I have stored these credentials").isChecked()).toBe(true);
    await page.keyboard.press("Tab");
    expect((await focused(page)).text).toBe("Done");
    await page.keyboard.press("Shift+Tab");
    expect((await focused(page)).type).toBe("checkbox");
    await page.keyboard.press("Tab");
    expect(await focused(page)).toMatchObject({ text: "Done", inDialog: true });
    await page.keyboard.press("Enter");
    await reveal.waitFor({ state: "detached" });

    // Focus is back on Create secret, the new secret is listed, its value is gone, and it works.
    const after = await settledFocus(page, (focus) => focus.text === "Create secret");
    expect(after).toMatchObject({ text: "Create secret", inDialog: false });
    expect(await fact(row("Keyboard app"), "Key ID")).toBe(credentials.keyId);
    await expectNoSecretsOnPage();
    expect(await verify(origin(), credentials)).toBe(200);
    await screenshot("09c-keyboard-done.png");
  }, 45_000);

  it("13. a reveal left open ends when the page is left: back, forward and reload show no secret", async () => {
    // Acme Mobile, so the Acme Web list stays as the viewer should see it.
    for (const leave of ["back", "reload"] as const) {
      await page.goto(`${origin()}/projects/acme-mobile/security`);
      await widgetLoaded();
      await section().getByRole("button", { name: "Create secret" }).first().click();
      await page.getByRole("dialog", { name: "Create secret" }).getByRole("button", { name: "Create secret" }).click();
      const reveal = revealDialog("created");
      await reveal.waitFor();
      const { secret } = await readCredentials(reveal);
      if (leave === "back") {
        await page.goBack();
        await expectNoSecretsOnPage([secret]);
        await page.goForward();
      } else {
        await page.reload();
      }
      expect(page.url()).toBe(`${origin()}/projects/acme-mobile/security`);
      expect(await widgetLoaded()).toBe("ready");
      await page.waitForTimeout(200);
      await expectNoSecretsOnPage([secret]);
    }
  }, 30_000);

  it("14. the viewer sees the list, but no Create, Rotate or Revoke", async () => {
    await signOut();
    await signIn(VIEWER);
    expect(await page.locator("li.card .role").allTextContents()).toEqual(["Your role: Viewer", "Your role: Viewer"]);
    await page.goto(`${origin()}/projects/acme-web/security`);
    expect(await widgetLoaded()).toBe("ready");
    expect(await section().locator("li.kt-row h3").allTextContents()).toEqual(
      expect.arrayContaining(["Reporting service", "Keyboard app"]),
    );
    expect(await section().locator("li.kt-row").count()).toBe(2);
    expect(await section().getByRole("button").count()).toBe(0);
    expect(await page.getByRole("button", { name: /create secret|rotate|revoke/i }).count()).toBe(0);

    // Nor can the viewer's token do it behind the UI's back.
    const refused = await page.evaluate(async () => {
      const tokenResponse = await fetch("/portal/api/keyturn-token?project=acme-web");
      const { token } = (await tokenResponse.json()) as { token: string };
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'mutation { createSecret(input: { projectId: "acme-web", name: "x" }) { apiSecret { id } } }',
        }),
      });
      const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      return body.errors?.[0]?.extensions?.code ?? "no error";
    });
    expect(refused).toBe("FORBIDDEN");
    await expectNoSecretsOnPage();
    await scan("viewer's security page");
    await scrollToTop();
    await screenshot("10-viewer.png");
  }, 30_000);

  it("axe finds no violations on any screen", () => {
    const screens = new Set(axeFindings.map((finding) => finding.screen));
    const lines = describeAxeFindings(axeFindings);
    if (lines.length) console.log(`axe violations on ${screens.size} screen(s):\n${lines.join("\n")}`);
    expect(lines).toEqual([]);
  });

  it("no uncaught errors or console errors on any page", () => {
    expect(pageErrors).toEqual([]);
  });
});
