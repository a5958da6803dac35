import "../test/count-relative-times";
import { describe, expect, it, jest } from "@jest/globals";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { FakeKeyturn } from "../test/fake-keyturn";
import {
  createThroughUi,
  confirmAndClose,
  findRow,
  getDialog,
  openCreateDialog,
  renderSection,
} from "../test/render-section";
import { formatRelative } from "./localization";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

describe("ApiSecretSection: loading, empty and error states", () => {
  it("shows a loading skeleton until the list arrives", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const release = fake.hold("ApiSecrets");
    const { container } = renderSection(fake);

    expect(await screen.findByRole("status")).toHaveProperty("textContent", "Loading API secrets…");
    expect(container.querySelector("section")?.getAttribute("data-state")).toBe("loading");
    expect(container.querySelector('[aria-busy="true"]')).not.toBeNull();
    expect(screen.queryByRole("list")).toBeNull();

    release();
    expect(await findRow("Reporting")).toBeTruthy();
    expect(screen.queryByText("Loading API secrets…")).toBeNull();
    expect(container.querySelector('[aria-busy="true"]')).toBeNull();
  });

  it("invites an administrator to create the first secret", async () => {
    const fake = new FakeKeyturn();
    renderSection(fake);

    expect(await screen.findByText("No API secrets yet")).toBeTruthy();
    expect(screen.getByText("Create a secret to let your applications call the Analytics API.")).toBeTruthy();
    expect(screen.getAllByRole("button", { name: "Create secret" })).toHaveLength(1);
    expect(screen.queryByRole("list")).toBeNull();
  });

  it("tells a viewer with no secrets that an administrator can create one, and offers no button", async () => {
    const fake = new FakeKeyturn();
    fake.role = "VIEWER";
    renderSection(fake);

    expect(await screen.findByText("No API secrets yet")).toBeTruthy();
    expect(screen.getByText("An administrator of this project can create one.")).toBeTruthy();
    expect(screen.queryByText("Create a secret to let your applications call the Analytics API.")).toBeNull();
    expect(screen.queryAllByRole("button")).toEqual([]);
  });

  it("shows a load error in place, and Try again refetches and then shows the list", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.failNext("ApiSecrets", "INTERNAL_SERVER_ERROR");
    const { user } = renderSection(fake);

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("API secrets could not be loaded.")).toBeTruthy();
    expect(within(alert).getByText("Something went wrong. Please try again.")).toBeTruthy();
    expect(screen.queryByRole("list")).toBeNull();
    expect(fake.count("ApiSecrets")).toBe(1);

    await user.click(within(alert).getByRole("button", { name: "Try again" }));

    expect(await findRow("Reporting")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(fake.count("ApiSecrets")).toBe(2);
  });

  it("explains a refused list in the user's terms", async () => {
    const fake = new FakeKeyturn();
    fake.failNext("ApiSecrets", "FORBIDDEN");
    renderSection(fake);

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("You do not have permission to do this in this project.")).toBeTruthy();
  });
});

describe("ApiSecretSection: the list", () => {
  it("shows each secret's name, Key ID, masked hint, status, creator and last use", async () => {
    const fake = new FakeKeyturn();
    const used = fake.addSecret(
      { name: "Reporting", lastUsedAt: new Date(Date.now() - 2 * HOUR).toISOString(), createdBy: "bob@example.com" },
      3 * DAY,
    );
    fake.addSecret({ name: "Billing", secretHint: "ktsk_…Zz99" }, 5 * 60 * 1000);
    renderSection(fake);

    const reporting = await findRow("Reporting");
    expect(within(reporting).getByText(used.currentKeyId)).toBeTruthy();
    expect(within(reporting).getByText("ktsk_…AbCd")).toBeTruthy();
    expect(within(reporting).getByText("Active")).toBeTruthy();
    expect(within(reporting).getByText("Created 3 days ago by bob@example.com")).toBeTruthy();
    const lastUsed = within(reporting).getByText("Last used 2 hours ago");
    expect(lastUsed.tagName).toBe("TIME");
    expect(lastUsed.getAttribute("datetime")).toBe(used.lastUsedAt);
    expect(within(reporting).queryByText("Never used")).toBeNull();

    const billing = await findRow("Billing");
    expect(within(billing).getByText("ktsk_…Zz99")).toBeTruthy();
    expect(within(billing).getByText("Created 5 minutes ago by alice@example.com")).toBeTruthy();
    expect(within(billing).getByText("Never used")).toBeTruthy();
  });

  it("marks a revoked secret and offers no Rotate or Revoke for it", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Live" });
    fake.addSecret({
      name: "Retired",
      status: "REVOKED",
      revokedAt: new Date(Date.now() - 2 * DAY).toISOString(),
      revokedBy: "alice@example.com",
      credentials: [],
    });
    renderSection(fake);

    const retired = await findRow("Retired");
    expect(within(retired).getByText("Revoked")).toBeTruthy();
    expect(within(retired).queryByText("Active")).toBeNull();
    expect(within(retired).getByText("Revoked 2 days ago")).toBeTruthy();
    expect(within(retired).queryAllByRole("button")).toEqual([]);

    const live = await findRow("Live");
    expect(within(live).getByText("Active")).toBeTruthy();
    expect(within(live).getByRole("button", { name: "Rotate Live" })).toBeTruthy();
    expect(within(live).getByRole("button", { name: "Revoke Live" })).toBeTruthy();
  });

  it("warns when the previous credentials of a rotated secret stop working", async () => {
    const fake = new FakeKeyturn();
    const now = new Date().toISOString();
    fake.addSecret({
      name: "Reporting",
      currentKeyId: "ktid_current",
      rotatedAt: now,
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
          createdAt: new Date(Date.now() - 10 * DAY).toISOString(),
          expiresAt: new Date(Date.now() + 23 * HOUR).toISOString(),
          lastUsedAt: null,
        },
      ],
    });
    fake.addSecret({ name: "Billing" });
    renderSection(fake);

    const row = await findRow("Reporting");
    expect(within(row).getByText("Previous credentials ktid_previous stop working in 23 hours")).toBeTruthy();
    expect(within(await findRow("Billing")).queryByText(/Previous credentials/)).toBeNull();
  });

  it("keeps relative times current while the page stays open", async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const fake = new FakeKeyturn();
      fake.addSecret({ name: "Reporting", lastUsedAt: new Date(Date.now() - 50 * 1000).toISOString() });
      renderSection(fake);
      const row = await findRow("Reporting");
      expect(within(row).getByText(/^Last used (4\d|5\d) seconds ago$/)).toBeTruthy();

      act(() => {
        jest.advanceTimersByTime(30_000);
      });

      expect(within(row).getByText("Last used 1 minute ago")).toBeTruthy();
    } finally {
      jest.useRealTimers();
    }
  });

  it("leaves the rows alone when a dialog opens or the list is polled, and a tick updates only their times", async () => {
    jest.useFakeTimers({ advanceTimers: true });
    const formatted = jest.mocked(formatRelative);
    try {
      const fake = new FakeKeyturn();
      fake.addSecret({ name: "Reporting", lastUsedAt: new Date(Date.now() - 50 * 1000).toISOString() });
      fake.addSecret({ name: "Billing" });
      const { user } = renderSection(fake);
      const row = await findRow("Reporting");
      await findRow("Billing");
      formatted.mockClear();

      await user.click(within(row).getByRole("button", { name: "Rotate Reporting" }));
      expect(screen.getByRole("alertdialog", { name: "Rotate “Reporting”?" })).toBeTruthy();
      expect(formatted).not.toHaveBeenCalled();

      // The clock ticks as the list is polled again, with nothing changed on the server.
      await act(async () => {
        await jest.advanceTimersByTimeAsync(30_000);
      });
      expect(fake.count("ApiSecrets")).toBe(2);
      expect(within(row).getByText("Last used 1 minute ago")).toBeTruthy();
      // Reporting's two times and Billing's one, once each.
      expect(formatted).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it("re-renders only the new row when the list comes back with one secret more", async () => {
    const formatted = jest.mocked(formatRelative);
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting", lastUsedAt: new Date(Date.now() - 50 * 1000).toISOString() });
    fake.addSecret({ name: "Billing" });
    const { user } = renderSection(fake);
    await findRow("Reporting");
    formatted.mockClear();

    const reveal = await createThroughUi(user, "Third");
    await confirmAndClose(user, reveal);
    expect(await findRow("Third")).toBeTruthy();

    // The list was fetched anew after the create, as fresh objects; the unchanged secrets keep
    // theirs, so only Third's created-at time is formatted (Reporting has two, Billing one).
    expect(fake.count("ApiSecrets")).toBe(2);
    expect(formatted).toHaveBeenCalledTimes(1);
  });

  it("keeps the rows on screen while the list is being fetched again", async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const fake = new FakeKeyturn();
      fake.addSecret({ name: "Reporting" });
      renderSection(fake);
      const row = await findRow("Reporting");
      const release = fake.hold("ApiSecrets");

      await act(async () => {
        await jest.advanceTimersByTimeAsync(30_000);
      });
      expect(fake.count("ApiSecrets")).toBe(2);
      // The poll has not been answered: the list is neither emptied nor replaced by the skeleton.
      expect(row.isConnected).toBe(true);
      expect(document.querySelector(".kt-skeleton")).toBeNull();

      release();
      expect(await findRow("Reporting")).toBe(row);
    } finally {
      jest.useRealTimers();
    }
  });

  it("fetches the list again every 30 seconds, so a first use elsewhere shows up without a reload", async () => {
    jest.useFakeTimers({ advanceTimers: true });
    try {
      const fake = new FakeKeyturn();
      const secret = fake.addSecret({ name: "Reporting" });
      renderSection(fake);
      const row = await findRow("Reporting");
      expect(within(row).getByText("Never used")).toBeTruthy();
      expect(fake.count("ApiSecrets")).toBe(1);

      secret.lastUsedAt = new Date().toISOString();
      await act(async () => {
        await jest.advanceTimersByTimeAsync(30_000);
      });

      expect(fake.count("ApiSecrets")).toBe(2);
      expect(await within(row).findByText(/^Last used /)).toBeTruthy();
    } finally {
      jest.useRealTimers();
    }
  });

  it("shows a viewer the list without any Create, Rotate or Revoke button", async () => {
    const fake = new FakeKeyturn();
    fake.role = "VIEWER";
    fake.addSecret({ name: "Reporting" });
    fake.addSecret({ name: "Billing" });
    renderSection(fake);

    expect(await findRow("Reporting")).toBeTruthy();
    expect(await findRow("Billing")).toBeTruthy();
    expect(screen.queryAllByRole("button")).toEqual([]);
  });

  it("shows an administrator Create secret, and Rotate and Revoke on each active row", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    renderSection(fake);

    const row = await findRow("Reporting");
    expect(screen.getByRole("button", { name: "Create secret" })).toBeTruthy();
    expect(
      within(row)
        .getAllByRole("button")
        .map((button) => button.getAttribute("aria-label")),
    ).toEqual(["Rotate Reporting", "Revoke Reporting"]);
  });
});

describe("ApiSecretSection: create", () => {
  it("creates a secret with the name given, trimmed", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const onChange = jest.fn();
    const { user } = renderSection(fake, { onChange });

    const reveal = await createThroughUi(user, "  Billing  ");

    expect(fake.calls.find((call) => call.operation === "CreateSecret")?.variables).toEqual({
      input: { projectId: "demo", name: "Billing" },
    });
    const created = fake.secrets.at(-1)!;
    expect(within(reveal).getByLabelText("Key ID")).toHaveProperty("value", created.currentKeyId);
    expect(onChange).toHaveBeenCalledWith({ type: "created", secretId: created.id, keyId: created.currentKeyId });
    expect(JSON.stringify(onChange.mock.calls)).not.toContain(fake.revealed[0]);
    await confirmAndClose(user, reveal);
    expect(await findRow("Billing")).toBeTruthy();
  });

  it("leaves an empty name for the server to choose", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);

    const reveal = await createThroughUi(user);
    await confirmAndClose(user, reveal);

    expect(fake.calls.find((call) => call.operation === "CreateSecret")?.variables).toEqual({
      input: { projectId: "demo", name: null },
    });
    expect(await findRow(fake.secrets[0]!.name)).toBeTruthy();
    expect(fake.secrets[0]!.name).toMatch(/^Secret \d+$/);
  });

  it("rejects a name over 100 characters without asking the server", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);

    const dialog = await openCreateDialog(user);
    const input = within(dialog).getByLabelText("Name (optional)");
    await user.click(input);
    await user.paste("a".repeat(101));
    await user.click(within(dialog).getByRole("button", { name: "Create secret" }));

    expect(within(dialog).getByRole("alert").textContent).toBe(
      "Use at most 100 characters, with no control characters.",
    );
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toBe(within(dialog).getByRole("alert").id);
    expect(fake.count("CreateSecret")).toBe(0);
    expect(getDialog("Create secret")).toBe(dialog);
  });

  it("keeps the dialog open with the localized message when the project is at its limit", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.failNext("CreateSecret", "LIMIT_EXCEEDED");
    const { user } = renderSection(fake, {
      localization: { errorLimitExceeded: "Limite atteinte : révoquez une clé d'abord." },
    });

    const dialog = await openCreateDialog(user);
    await user.type(within(dialog).getByLabelText("Name (optional)"), "Billing");
    await user.click(within(dialog).getByRole("button", { name: "Create secret" }));

    expect((await within(dialog).findByRole("alert")).textContent).toBe("Limite atteinte : révoquez une clé d'abord.");
    expect(getDialog("Create secret")).toBe(dialog);
    expect(screen.queryByRole("dialog", { name: "Your new API credentials" })).toBeNull();
    expect(fake.count("CreateSecret")).toBe(1);
    expect(screen.getByRole("heading", { name: "Reporting", hidden: true })).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Billing", hidden: true })).toBeNull();
  });

  it("shows the English limit message by default", async () => {
    const fake = new FakeKeyturn();
    fake.failNext("CreateSecret", "LIMIT_EXCEEDED");
    const { user } = renderSection(fake);

    const dialog = await openCreateDialog(user);
    await user.click(within(dialog).getByRole("button", { name: "Create secret" }));

    expect((await within(dialog).findByRole("alert")).textContent).toBe(
      "This project has reached its limit of active secrets. Revoke one before creating another.",
    );
  });

  it("marks the confirm button busy while the server works, and adds no row before it answers", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);
    await findRow("Reporting");

    const release = fake.hold("CreateSecret");
    const dialog = await openCreateDialog(user);
    await user.type(within(dialog).getByLabelText("Name (optional)"), "Billing");
    await user.click(within(dialog).getByRole("button", { name: "Create secret" }));

    const confirm = await within(dialog).findByRole("button", { name: /Create secret/ });
    await waitFor(() => {
      expect(confirm.getAttribute("aria-busy")).toBe("true");
    });
    expect(confirm).toHaveProperty("disabled", true);
    expect(confirm.querySelector(".kt-spinner")).not.toBeNull();
    expect(within(confirm).getByText("Working…")).toBeTruthy();
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveProperty("disabled", true);
    // The list sits behind the modal (aria-hidden), so it is searched with hidden: true.
    expect(screen.queryByRole("heading", { name: "Billing", hidden: true })).toBeNull();
    expect(screen.getAllByRole("listitem", { hidden: true })).toHaveLength(1);

    // Escape does not abandon a request in flight.
    await user.keyboard("{Escape}");
    expect(getDialog("Create secret")).toBe(dialog);

    release();
    expect(await screen.findByRole("dialog", { name: "Your new API credentials" })).toBeTruthy();
    expect(await findRow("Billing", { hidden: true })).toBeTruthy();
  });

  it("sends exactly one CreateSecret for a double click", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);

    const release = fake.hold("CreateSecret");
    const dialog = await openCreateDialog(user);
    await user.type(within(dialog).getByLabelText("Name (optional)"), "Billing");
    const confirm = within(dialog).getByRole("button", { name: "Create secret" });
    await user.dblClick(confirm);
    // A second submission in the same tick, before React has disabled the button.
    const form = confirm.closest("form")!;
    fireEvent.submit(form);
    fireEvent.submit(form);

    await waitFor(() => {
      expect(fake.count("CreateSecret")).toBe(1);
    });
    release();
    const reveal = await screen.findByRole("dialog", { name: "Your new API credentials" });
    await confirmAndClose(user, reveal);
    await findRow("Billing");

    expect(fake.count("CreateSecret")).toBe(1);
    expect(fake.revealed).toHaveLength(1);
    expect(screen.getAllByRole("heading", { name: "Billing" })).toHaveLength(1);
  });

  it("still reveals the new credentials when reloading the list afterwards fails", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);
    await findRow("Reporting");
    fake.failNext("ApiSecrets", "INTERNAL_SERVER_ERROR");

    const reveal = await createThroughUi(user, "Billing");

    expect(fake.count("ApiSecrets")).toBe(2);
    expect(within(reveal).getByLabelText("Secret")).toHaveProperty("value", fake.revealed[0]);
    expect(screen.queryByText("Something went wrong. Please try again.")).toBeNull();
  });

  it("cancels without sending anything and returns focus to Create secret", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);

    const dialog = await openCreateDialog(user);
    await user.type(within(dialog).getByLabelText("Name (optional)"), "Billing");
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(fake.count("CreateSecret")).toBe(0);
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Create secret" }));
  });
});

describe("ApiSecretSection: rotate", () => {
  const CHOICES = [
    {
      label: "Immediately",
      seconds: 0,
      warning:
        "The current credentials will no longer be valid once rotation is complete. Update your applications right away.",
    },
    { label: "In 1 hour", seconds: 3600, warning: "The current credentials keep working for 1 hour, then stop." },
    { label: "In 24 hours", seconds: 86400, warning: "The current credentials keep working for 24 hours, then stop." },
    { label: "In 7 days", seconds: 604800, warning: "The current credentials keep working for 7 days, then stop." },
  ];

  it("says the current credentials will stop working, and defaults to immediately", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);

    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" }));

    const dialog = screen.getByRole("alertdialog", { name: "Rotate “Reporting”?" });
    expect(
      within(dialog).getByText(
        "A new Key ID and secret will be issued. Choose when the current credentials stop working.",
      ),
    ).toBeTruthy();
    const group = within(dialog).getByRole("group", { name: "Current credentials stop working" });
    expect(
      within(group)
        .getAllByRole("radio")
        .map((radio) => radio.closest("label")?.textContent),
    ).toEqual(CHOICES.map((choice) => choice.label));
    expect(within(dialog).getByRole("radio", { name: "Immediately" })).toHaveProperty("checked", true);
    expect(within(dialog).getByText(CHOICES[0]!.warning)).toBeTruthy();
    expect(within(dialog).queryByText(/still in their grace period/)).toBeNull();
  });

  it.each(CHOICES)(
    "rotates with the grace period chosen: $label sends $seconds seconds",
    async ({ label, seconds, warning }) => {
      const fake = new FakeKeyturn();
      const secret = fake.addSecret({ name: "Reporting" });
      const oldKeyId = secret.currentKeyId;
      const onChange = jest.fn();
      const { user } = renderSection(fake, { onChange });

      const rotateButton = within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" });
      await user.click(rotateButton);
      const dialog = screen.getByRole("alertdialog", { name: "Rotate “Reporting”?" });
      // Choose another option first, so each choice is shown to change the warning.
      await user.click(within(dialog).getByRole("radio", { name: seconds === 0 ? "In 7 days" : "Immediately" }));
      await user.click(within(dialog).getByRole("radio", { name: label }));
      expect(within(dialog).getByText(warning)).toBeTruthy();
      for (const other of CHOICES.filter((choice) => choice.label !== label)) {
        expect(within(dialog).queryByText(other.warning)).toBeNull();
      }
      await user.click(within(dialog).getByRole("button", { name: "Rotate secret" }));

      const reveal = await screen.findByRole("dialog", { name: "Your rotated API credentials" });
      expect(fake.calls.filter((call) => call.operation === "RotateSecret").map((call) => call.variables)).toEqual([
        { input: { id: secret.id, gracePeriodSeconds: seconds } },
      ]);
      expect(within(reveal).getByLabelText("Key ID")).toHaveProperty("value", fake.secrets[0]!.currentKeyId);
      expect(fake.secrets[0]!.currentKeyId).not.toBe(oldKeyId);
      expect(within(reveal).getByLabelText("Secret")).toHaveProperty("value", fake.revealed[0]);
      expect(onChange).toHaveBeenCalledWith({
        type: "rotated",
        secretId: secret.id,
        keyId: fake.secrets[0]!.currentKeyId,
      });

      await confirmAndClose(user, reveal);
      const row = await findRow("Reporting");
      await within(row).findByText(fake.secrets[0]!.currentKeyId);
      expect(within(row).queryByText(/Previous credentials/) === null).toBe(seconds === 0);
      expect(document.activeElement).toBe(within(row).getByRole("button", { name: "Rotate Reporting" }));
    },
  );

  it("still reveals the rotated credentials when reloading the list afterwards fails", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);
    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" }));
    fake.failNext("ApiSecrets", "INTERNAL_SERVER_ERROR");
    await user.click(screen.getByRole("button", { name: "Rotate secret" }));

    const reveal = await screen.findByRole("dialog", { name: "Your rotated API credentials" });
    expect(within(reveal).getByLabelText("Secret")).toHaveProperty("value", fake.revealed[0]);
    expect(fake.count("ApiSecrets")).toBe(2);
  });

  it("warns that credentials still in a grace period stop at once", async () => {
    const fake = new FakeKeyturn();
    const now = new Date().toISOString();
    fake.addSecret({
      name: "Reporting",
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
    const { user } = renderSection(fake);

    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" }));

    const dialog = screen.getByRole("alertdialog", { name: "Rotate “Reporting”?" });
    expect(
      within(dialog).getByText("The previous credentials ktid_previous, still in their grace period, stop at once."),
    ).toBeTruthy();
  });

  it("sends nothing when cancelled, and returns focus to the row's Rotate button", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.addSecret({ name: "Billing" });
    const { user } = renderSection(fake);

    const rotateButton = within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" });
    await user.click(rotateButton);
    const dialog = screen.getByRole("alertdialog", { name: "Rotate “Reporting”?" });
    await user.click(within(dialog).getByRole("radio", { name: "In 7 days" }));
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));

    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(fake.count("RotateSecret")).toBe(0);
    expect(document.activeElement).toBe(rotateButton);
  });

  it("keeps the dialog busy while rotating and shows a failure inside it", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);

    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" }));
    const dialog = screen.getByRole("alertdialog", { name: "Rotate “Reporting”?" });
    const release = fake.hold("RotateSecret");
    fake.failNext("RotateSecret", "FORBIDDEN");
    await user.click(within(dialog).getByRole("button", { name: "Rotate secret" }));

    const confirm = within(dialog).getByRole("button", { name: /Rotate secret/ });
    await waitFor(() => {
      expect(confirm.getAttribute("aria-busy")).toBe("true");
    });
    expect(confirm).toHaveProperty("disabled", true);
    expect(within(dialog).getByRole("radio", { name: "In 1 hour" })).toHaveProperty("disabled", true);
    await user.dblClick(confirm);

    release();
    expect((await within(dialog).findByRole("alert")).textContent).toBe(
      "You do not have permission to do this in this project.",
    );
    expect(confirm.getAttribute("aria-busy")).toBeNull();
    expect(fake.count("RotateSecret")).toBe(1);
    expect(screen.queryByRole("dialog", { name: "Your rotated API credentials" })).toBeNull();
  });
});

describe("ApiSecretSection: revoke", () => {
  it("enables Revoke secret only once the confirmation word is typed, in any case", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.addSecret({ name: "Billing" });
    const onChange = jest.fn();
    const { user } = renderSection(fake, { onChange });

    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Revoke Reporting" }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke “Reporting”?" });
    expect(
      within(dialog).getByText("Every credential of this secret stops working immediately. This cannot be undone."),
    ).toBeTruthy();
    const input = within(dialog).getByLabelText("Type “revoke” to confirm");
    const confirm = within(dialog).getByRole("button", { name: "Revoke secret" });
    expect(confirm).toHaveProperty("disabled", true);

    await user.type(input, "REVOK");
    expect(confirm).toHaveProperty("disabled", true);
    // Enter submits the form, which must not revoke either.
    await user.keyboard("{Enter}");
    expect(fake.count("RevokeSecret")).toBe(0);

    await user.type(input, "E");
    expect(confirm).toHaveProperty("disabled", false);
    await user.click(confirm);

    await waitFor(() => {
      expect(screen.queryByRole("alertdialog")).toBeNull();
    });
    const row = await findRow("Reporting");
    await within(row).findByText("Revoked");
    expect(within(row).queryAllByRole("button")).toEqual([]);
    expect(within(await findRow("Billing")).getByText("Active")).toBeTruthy();
    expect(fake.calls.filter((call) => call.operation === "RevokeSecret").map((call) => call.variables)).toEqual([
      { input: { id: fake.secrets[0]!.id } },
    ]);
    expect(onChange).toHaveBeenCalledWith({ type: "revoked", secretId: fake.secrets[0]!.id });
    // The row's Revoke button is gone: focus goes to Create secret rather than to <body>.
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Create secret" }));
  });

  it("asks for the localized confirmation word instead of the English one", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake, {
      localization: {
        revokeConfirmationWord: "widerrufen",
        revokeInputLabel: (word) => `Zur Bestätigung „${word}“ eingeben`,
      },
    });

    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Revoke Reporting" }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke “Reporting”?" });
    const input = within(dialog).getByLabelText("Zur Bestätigung „widerrufen“ eingeben");
    const confirm = within(dialog).getByRole("button", { name: "Revoke secret" });

    await user.type(input, "revoke");
    expect(confirm).toHaveProperty("disabled", true);
    await user.clear(input);
    await user.type(input, "Widerrufen");
    expect(confirm).toHaveProperty("disabled", false);
    await user.click(confirm);

    await within(await findRow("Reporting")).findByText("Revoked");
    expect(fake.count("RevokeSecret")).toBe(1);
  });

  it("sends nothing when cancelled", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);

    const revokeButton = within(await findRow("Reporting")).getByRole("button", { name: "Revoke Reporting" });
    await user.click(revokeButton);
    const dialog = screen.getByRole("alertdialog", { name: "Revoke “Reporting”?" });
    await user.type(within(dialog).getByLabelText("Type “revoke” to confirm"), "revoke");
    await user.keyboard("{Escape}");

    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(fake.count("RevokeSecret")).toBe(0);
    expect(within(await findRow("Reporting")).getByText("Active")).toBeTruthy();
    expect(document.activeElement).toBe(revokeButton);
  });

  it("keeps the dialog open with the error when revoking fails", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.failNext("RevokeSecret", "NOT_FOUND");
    const { user } = renderSection(fake);

    await user.click(within(await findRow("Reporting")).getByRole("button", { name: "Revoke Reporting" }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke “Reporting”?" });
    await user.type(within(dialog).getByLabelText("Type “revoke” to confirm"), "revoke{Enter}");

    expect((await within(dialog).findByRole("alert")).textContent).toBe(
      "You do not have permission to do this in this project.",
    );
    expect(screen.getByRole("alertdialog", { name: "Revoke “Reporting”?" })).toBe(dialog);
    expect(within(await findRow("Reporting", { hidden: true })).getByText("Active")).toBeTruthy();
  });
});
