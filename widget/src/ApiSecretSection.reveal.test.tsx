import { afterEach, describe, expect, it } from "@jest/globals";
import { act, screen, waitFor, within } from "@testing-library/react";
import { FakeKeyturn } from "../test/fake-keyturn";
import {
  blobText,
  captureDownloads,
  confirmAndClose,
  controllableClipboard,
  createThroughUi,
  findRow,
  removeClipboard,
  renderSection,
  storageSnapshot,
} from "../test/render-section";

afterEach(() => {
  Reflect.deleteProperty(navigator, "clipboard");
  localStorage.clear();
  sessionStorage.clear();
});

describe("ApiSecretSection: the one-time reveal", () => {
  it("shows the new Key ID and secret with the warning that they will not be shown again", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);

    const reveal = await createThroughUi(user, "Billing");

    const created = fake.secrets.at(-1)!;
    expect(within(reveal).getByLabelText("Key ID")).toHaveProperty("value", created.currentKeyId);
    expect(within(reveal).getByLabelText("Secret")).toHaveProperty("value", fake.revealed[0]);
    expect(within(reveal).getByLabelText("Secret")).toHaveProperty("readOnly", true);
    const description = document.getElementById(reveal.getAttribute("aria-describedby") ?? "");
    expect(description?.textContent).toMatch(/will not be shown again/);
    expect(within(reveal).getByRole("button", { name: "Copy Key ID" })).toBeTruthy();
    expect(within(reveal).getByRole("button", { name: "Copy Secret" })).toBeTruthy();
    expect(within(reveal).getByRole("button", { name: "Download .env" })).toBeTruthy();
  });

  it('says "Copied" only after the clipboard write has succeeded', async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);
    const reveal = await createThroughUi(user);
    const clipboard = controllableClipboard();

    await user.click(within(reveal).getByRole("button", { name: "Copy Secret" }));
    expect(clipboard.writeText).toHaveBeenCalledWith(fake.revealed[0]!);
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(within(reveal).queryByText("Copied")).toBeNull();
    expect(within(reveal).getByRole("button", { name: "Copy Secret" })).toBeTruthy();

    await act(async () => {
      clipboard.writes[0]!.resolve();
      await Promise.resolve();
    });
    const copied = await within(reveal).findByRole("button", { name: "Copied Secret" });
    expect(copied.textContent).toBe("Copied");
    expect(within(reveal).getByText("Secret: Copied")).toBeTruthy();
    expect(within(reveal).getByRole("button", { name: "Copy Key ID" })).toBeTruthy();
    expect(within(reveal).queryByText(/Copying is not allowed here/)).toBeNull();
  });

  it("selects the value for manual copying and says so when the clipboard refuses the write", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);
    const reveal = await createThroughUi(user);
    const clipboard = controllableClipboard();

    await user.click(within(reveal).getByRole("button", { name: "Copy Secret" }));
    await act(async () => {
      clipboard.writes[0]!.reject(new DOMException("Write permission denied.", "NotAllowedError"));
      await Promise.resolve();
    });

    expect(await within(reveal).findByText(/^Copying is not allowed here\./)).toBeTruthy();
    const field = within(reveal).getByLabelText<HTMLInputElement>("Secret");
    expect(document.activeElement).toBe(field);
    expect(field.selectionStart).toBe(0);
    expect(field.selectionEnd).toBe(fake.revealed[0]!.length);
    expect(within(reveal).queryByText("Copied")).toBeNull();
    expect(within(reveal).getByRole("button", { name: "Copy Secret" })).toBeTruthy();
  });

  it("selects the value for manual copying when the page has no Clipboard API", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);
    const reveal = await createThroughUi(user);
    removeClipboard();

    await user.click(within(reveal).getByRole("button", { name: "Copy Key ID" }));

    expect(await within(reveal).findByText(/^Copying is not allowed here\./)).toBeTruthy();
    const field = within(reveal).getByLabelText<HTMLInputElement>("Key ID");
    expect(document.activeElement).toBe(field);
    expect(field.value.slice(field.selectionStart ?? 0, field.selectionEnd ?? 0)).toBe(fake.secrets[0]!.currentKeyId);
  });

  it("closes only after the explicit confirmation, and then the secret is nowhere", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user, client } = renderSection(fake);
    localStorage.setItem("host-setting", "kept");

    const reveal = await createThroughUi(user, "Billing");
    const secret = fake.revealed[0]!;
    expect(document.body.innerHTML).toContain(secret);

    const done = within(reveal).getByRole("button", { name: "Done" });
    expect(done).toHaveProperty("disabled", true);
    await user.keyboard("{Escape}");
    expect(screen.getByRole("dialog", { name: "Your new API credentials" })).toBe(reveal);
    expect(within(reveal).getByText("Confirm that you have stored the credentials to close this window.")).toBeTruthy();

    await confirmAndClose(user, reveal);

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(await findRow("Billing")).toBeTruthy();
    expect(document.body.innerHTML).not.toContain(secret);
    const cache = client.cache.extract() as Record<string, unknown>;
    const cached = JSON.stringify(cache);
    // The list is read with fetchPolicy "no-cache" too: the cache holds neither it nor the secret.
    expect(cached).not.toContain("Billing");
    expect(cached).not.toContain(secret);
    // Mutations run with fetchPolicy "no-cache": Apollo keeps no ROOT_MUTATION record of them.
    expect(Object.keys(cache)).not.toContain("ROOT_MUTATION");
    expect(storageSnapshot()).toContain("host-setting=kept");
    expect(storageSnapshot()).not.toContain(secret);
    expect(window.location.href).not.toContain(secret);
  });

  it("ends the reveal when the page is left, so the back/forward cache cannot bring the secret back", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);
    await createThroughUi(user, "Leaving");
    expect(document.body.innerHTML).toContain(fake.revealed[0]!);

    act(() => {
      window.dispatchEvent(new Event("pagehide"));
    });

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.body.innerHTML).not.toContain(fake.revealed[0]!);
    expect(await findRow("Leaving")).toBeTruthy();
  });

  it("leaves no rotated secret behind either, and returns focus to the row's Rotate button", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.addSecret({ name: "Billing" });
    const { user, client } = renderSection(fake);

    const rotate = within(await findRow("Reporting")).getByRole("button", { name: "Rotate Reporting" });
    await user.click(rotate);
    await user.click(screen.getByRole("radio", { name: "In 1 hour" }));
    await user.click(screen.getByRole("button", { name: "Rotate secret" }));
    const reveal = await screen.findByRole("dialog", { name: "Your rotated API credentials" });
    const secret = fake.revealed[0]!;
    expect(within(reveal).getByLabelText("Secret")).toHaveProperty("value", secret);

    await confirmAndClose(user, reveal);

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(rotate);
    expect(rotate.isConnected).toBe(true);
    expect(document.body.innerHTML).not.toContain(secret);
    const cache = client.cache.extract() as Record<string, unknown>;
    expect(JSON.stringify(cache)).not.toContain(fake.secrets[0]!.currentKeyId);
    expect(JSON.stringify(cache)).not.toContain(secret);
    expect(Object.keys(cache)).not.toContain("ROOT_MUTATION");
    expect(storageSnapshot()).not.toContain(secret);
  });

  it("returns focus to the header's Create secret when the empty state's button has gone", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);

    const emptyStateButton = await screen.findByRole("button", { name: "Create secret" });
    const reveal = await createThroughUi(user, "Billing");
    await confirmAndClose(user, reveal);

    await findRow("Billing");
    const createButton = screen.getByRole("button", { name: "Create secret" });
    expect(emptyStateButton.isConnected).toBe(false);
    expect(document.activeElement).toBe(createButton);
  });

  it("returns focus to Create secret after a create that started from the header", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user } = renderSection(fake);

    const createButton = await screen.findByRole("button", { name: "Create secret" });
    const reveal = await createThroughUi(user, "Billing");
    await confirmAndClose(user, reveal);

    expect(document.activeElement).toBe(createButton);
  });
});

describe("ApiSecretSection: Download .env", () => {
  let downloads: ReturnType<typeof captureDownloads> | undefined;
  afterEach(() => {
    downloads?.restore();
    downloads = undefined;
  });

  it("saves the Key ID and secret as an .env file named after the secret, through a revoked object URL", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);
    const reveal = await createThroughUi(user, "Billing");
    downloads = captureDownloads();

    await user.click(within(reveal).getByRole("button", { name: "Download .env" }));

    expect(downloads.clicks).toHaveLength(1);
    const [download] = downloads.clicks;
    expect(download!.download).toBe("billing.env");
    expect(download!.href).toMatch(/^blob:/);
    expect(await blobText(download!.blob!)).toBe(
      `ANALYTICS_KEY_ID=${fake.secrets[0]!.currentKeyId}\nANALYTICS_SECRET=${fake.revealed[0]!}\n`,
    );
    await waitFor(() => {
      expect(downloads!.revoked).toEqual([download!.href]);
    });
    // The temporary link is gone again, and the secret never went into the page's URL.
    expect(document.querySelector("a[download]")).toBeNull();
    expect(window.location.href).not.toContain(fake.revealed[0]);
  });

  it("uses the host's variable names from envFile", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake, {
      envFile: { keyIdVariable: "REPORTING_KEY_ID", secretVariable: "REPORTING_SECRET" },
    });
    const reveal = await createThroughUi(user, "Reporting service");
    downloads = captureDownloads();

    await user.click(within(reveal).getByRole("button", { name: "Download .env" }));

    const [download] = downloads.clicks;
    expect(download!.download).toBe("reporting-service.env");
    expect(await blobText(download!.blob!)).toBe(
      `REPORTING_KEY_ID=${fake.secrets[0]!.currentKeyId}\nREPORTING_SECRET=${fake.revealed[0]!}\n`,
    );
  });
});

describe("ApiSecretSection: example request", () => {
  it("offers a curl line with both values when exampleRequestUrl is set", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake, { exampleRequestUrl: "https://analytics.example.com/v1/events" });

    const reveal = await createThroughUi(user);

    const curl = within(reveal).getByLabelText<HTMLTextAreaElement>("Try them");
    expect(curl.tagName).toBe("TEXTAREA");
    expect(curl.value).toBe(
      `curl -u '${fake.secrets[0]!.currentKeyId}:${fake.revealed[0]!}' 'https://analytics.example.com/v1/events'`,
    );
    expect(within(reveal).getByRole("button", { name: "Copy Try them" })).toBeTruthy();
  });

  it("offers no curl line without exampleRequestUrl", async () => {
    const fake = new FakeKeyturn();
    const { user } = renderSection(fake);

    const reveal = await createThroughUi(user);

    expect(within(reveal).getByLabelText("Secret")).toBeTruthy();
    expect(within(reveal).queryByLabelText("Try them")).toBeNull();
  });
});
