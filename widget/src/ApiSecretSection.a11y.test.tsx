import { describe, expect, it } from "@jest/globals";
import { screen, waitFor, within } from "@testing-library/react";
import { FakeKeyturn } from "../test/fake-keyturn";
import {
  createThroughUi,
  expectNoAxeViolations,
  findRow,
  getAlertDialog,
  installCssEscape,
  openCreateDialog,
  renderSection,
} from "../test/render-section";

const HOUR = 3600 * 1000;

function seed(fake: FakeKeyturn) {
  const now = new Date().toISOString();
  fake.addSecret({ name: "Reporting", lastUsedAt: new Date(Date.now() - HOUR).toISOString() });
  fake.addSecret({
    name: "Billing",
    credentials: [
      {
        keyId: "ktid_current",
        hint: "ktsk_…AbCd",
        status: "ACTIVE",
        createdAt: now,
        expiresAt: null,
        lastUsedAt: null,
      },
      {
        keyId: "ktid_previous",
        hint: "ktsk_…WxYz",
        status: "EXPIRING",
        createdAt: now,
        expiresAt: new Date(Date.now() + 23 * HOUR).toISOString(),
        lastUsedAt: null,
      },
    ],
  });
  fake.addSecret({ name: "Retired", status: "REVOKED", revokedAt: now, credentials: [] });
}

describe("ApiSecretSection: accessibility (axe)", () => {
  it("finds no violations in the loaded list", async () => {
    const fake = new FakeKeyturn();
    seed(fake);
    const { container } = renderSection(fake);
    await findRow("Retired");

    await expectNoAxeViolations(container);
  });

  it("finds no violations in the loading skeleton, the empty state and the error state", async () => {
    const empty = new FakeKeyturn();
    const release = empty.hold("ApiSecrets");
    const { container, unmount } = renderSection(empty);
    await screen.findByRole("status");
    await expectNoAxeViolations(container);
    release();
    await screen.findByText("No API secrets yet");
    await expectNoAxeViolations(container);
    unmount();

    const failing = new FakeKeyturn();
    failing.failNext("ApiSecrets", "INTERNAL_SERVER_ERROR");
    const errored = renderSection(failing);
    await screen.findByRole("alert");
    await expectNoAxeViolations(errored.container);
  });

  it("finds no violations with the create dialog open, also when it shows an error", async () => {
    const fake = new FakeKeyturn();
    seed(fake);
    const { user } = renderSection(fake);
    const dialog = await openCreateDialog(user);
    await expectNoAxeViolations(document.body);

    await user.click(within(dialog).getByLabelText("Name (optional)"));
    await user.paste("a".repeat(101));
    await user.click(within(dialog).getByRole("button", { name: "Create secret" }));
    await within(dialog).findByRole("alert");
    await expectNoAxeViolations(document.body);
  });

  it("finds no violations with the rotate dialog open", async () => {
    const fake = new FakeKeyturn();
    seed(fake);
    const { user } = renderSection(fake);
    await user.click(within(await findRow("Billing")).getByRole("button", { name: "Rotate Billing" }));
    expect(getAlertDialog("Rotate “Billing”?")).toBeTruthy();

    await expectNoAxeViolations(document.body);
  });

  it("finds no violations with the revoke dialog open", async () => {
    const fake = new FakeKeyturn();
    seed(fake);
    const { user } = renderSection(fake);
    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Revoke Reporting" }));
    expect(getAlertDialog("Revoke “Reporting”?")).toBeTruthy();

    await expectNoAxeViolations(document.body);
  });

  it("finds no violations with the reveal dialog open, with its curl line and after a refused copy", async () => {
    const fake = new FakeKeyturn();
    seed(fake);
    const { user } = renderSection(fake, { exampleRequestUrl: "https://analytics.example.com/v1/events" });
    const reveal = await createThroughUi(user, "Payments");
    await expectNoAxeViolations(document.body);

    Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
    await user.click(within(reveal).getByRole("button", { name: "Copy Secret" }));
    await within(reveal).findByText(/Copying is not allowed here/);
    await user.keyboard("{Escape}");
    await within(reveal).findByText(/Confirm that you have stored/);
    await expectNoAxeViolations(document.body);
    Reflect.deleteProperty(navigator, "clipboard");
  });
});

describe("ApiSecretSection: keyboard only", () => {
  it("creates a secret, reveals it, confirms and closes without a pointer", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);
    await findRow("Reporting");

    // The section's first tab stop is Create secret.
    await user.tab();
    const createButton = screen.getByRole("button", { name: "Create secret" });
    expect(document.activeElement).toBe(createButton);
    await user.keyboard("{Enter}");

    const dialog = screen.getByRole("dialog", { name: "Create secret" });
    expect(document.activeElement).toBe(within(dialog).getByLabelText("Name (optional)"));
    await user.keyboard("Billing{Enter}");

    const reveal = await screen.findByRole("dialog", { name: "Your new API credentials" });
    await waitFor(() => {
      expect(reveal.contains(document.activeElement)).toBe(true);
    });
    const checkbox = within(reveal).getByRole("checkbox", { name: "I have stored these credentials" });
    // Tab through the dialog to the confirmation; focus never leaves the dialog on the way.
    for (let step = 0; step < 10 && document.activeElement !== checkbox; step++) {
      await user.tab();
      expect(reveal.contains(document.activeElement)).toBe(true);
    }
    expect(document.activeElement).toBe(checkbox);
    await user.keyboard(" ");
    expect(checkbox).toHaveProperty("checked", true);
    await user.tab();
    expect(document.activeElement).toBe(within(reveal).getByRole("button", { name: "Done" }));
    await user.keyboard("{Enter}");

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(await findRow("Billing")).toBeTruthy();
    expect(document.activeElement).toBe(createButton);
    expect(document.body.innerHTML).not.toContain(fake.revealed[0]);
  });

  it("keeps Tab inside an open dialog", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);
    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" }));
    const dialog = getAlertDialog("Rotate “Reporting”?");

    for (let step = 0; step < 8; step++) {
      await user.tab();
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    await user.tab({ shift: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
  });

  it("rotates with a grace period and revokes with the keyboard alone", async () => {
    installCssEscape();
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);
    const row = await findRow("Reporting");

    await user.tab();
    await user.tab();
    const rotateButton = within(row).getByRole("button", { name: "Rotate Reporting" });
    expect(document.activeElement).toBe(rotateButton);
    await user.keyboard("{Enter}");

    const rotate = getAlertDialog("Rotate “Reporting”?");
    // An alert dialog starts on its safe choice, Cancel; the checked radio is one Shift+Tab back.
    expect(document.activeElement).toBe(within(rotate).getByRole("button", { name: "Cancel" }));
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(within(rotate).getByRole("radio", { name: "Immediately" }));
    await user.keyboard("{ArrowDown}");
    expect(within(rotate).getByRole("radio", { name: "In 1 hour" })).toHaveProperty("checked", true);
    expect(within(rotate).getByText("The current credentials keep working for 1 hour, then stop.")).toBeTruthy();
    await user.tab();
    await user.tab();
    expect(document.activeElement).toBe(within(rotate).getByRole("button", { name: "Rotate secret" }));
    await user.keyboard("{Enter}");

    const reveal = await screen.findByRole("dialog", { name: "Your rotated API credentials" });
    const checkbox = within(reveal).getByRole("checkbox", { name: "I have stored these credentials" });
    await user.keyboard("{Escape}");
    // Escape is refused, and focus is sent to the confirmation it asks for.
    expect(document.activeElement).toBe(checkbox);
    await user.keyboard(" ");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(rotateButton);
    expect(fake.calls.find((call) => call.operation === "RotateSecret")?.variables).toEqual({
      input: { id: fake.secrets[0]!.id, gracePeriodSeconds: 3600 },
    });

    await user.tab();
    expect(document.activeElement).toBe(within(row).getByRole("button", { name: "Revoke Reporting" }));
    await user.keyboard("{Enter}");
    const revoke = getAlertDialog("Revoke “Reporting”?");
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(within(revoke).getByLabelText("Type “revoke” to confirm"));
    await user.keyboard("revoke{Enter}");

    await within(await findRow("Reporting")).findByText("Revoked");
    expect(fake.count("RevokeSecret")).toBe(1);
  });
});
