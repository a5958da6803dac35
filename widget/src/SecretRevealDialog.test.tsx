import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { blobText, captureDownloads } from "../test/render-section";
import { SecretRevealDialog, type SecretRevealDialogProps } from "./SecretRevealDialog";

const CREDENTIALS = { keyId: "ktid_4f9Qm2XbT7LpWc8RzN1vKd", secret: "ktsk_Zq81mXv0LpT4sWcB9yRnE2uHdK6jF3aGhy7Pq0" };

type HostProps = Omit<SecretRevealDialogProps, "credentials" | "onClose"> & { onClose?: () => void };

/** A host page that opens the dialog from a button and clears the credentials when it closes. */
function Host({ onClose, ...props }: HostProps) {
  const [credentials, setCredentials] = useState<SecretRevealDialogProps["credentials"]>(null);
  return (
    <main>
      <button
        type="button"
        onClick={() => {
          setCredentials(CREDENTIALS);
        }}
      >
        Show credentials
      </button>
      <SecretRevealDialog
        {...props}
        credentials={credentials}
        onClose={() => {
          onClose?.();
          setCredentials(null);
        }}
      />
    </main>
  );
}

async function openHost(props: HostProps = {}) {
  const user = userEvent.setup();
  const onClose = jest.fn();
  render(<Host onClose={onClose} {...props} />);
  const trigger = screen.getByRole("button", { name: "Show credentials" });
  await user.click(trigger);
  const dialog = screen.getByRole("dialog");
  return { user, onClose, trigger, dialog };
}

const STORED_REQUIRED = "Confirm that you have stored the credentials to close this window.";

describe("SecretRevealDialog", () => {
  let downloads: ReturnType<typeof captureDownloads> | undefined;
  afterEach(() => {
    downloads?.restore();
    downloads = undefined;
  });

  it("renders nothing while there are no credentials", () => {
    render(<SecretRevealDialog credentials={null} onClose={() => undefined} />);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.body.textContent).toBe("");
  });

  it("shows the Key ID and the secret, titled for a new secret by default", async () => {
    const { dialog } = await openHost();

    expect(screen.getByRole("dialog", { name: "Your new API credentials" })).toBe(dialog);
    expect(within(dialog).getByLabelText("Key ID")).toHaveProperty("value", CREDENTIALS.keyId);
    expect(within(dialog).getByLabelText("Secret")).toHaveProperty("value", CREDENTIALS.secret);
    // Modal: the rest of the page is hidden from assistive technology while it is open.
    expect(screen.getByRole("main", { hidden: true }).closest("[aria-hidden='true']")).not.toBeNull();
    expect(dialog.closest("[aria-hidden='true']")).toBeNull();
  });

  it('is titled "Your rotated API credentials" after a rotation', async () => {
    const { dialog } = await openHost({ reason: "rotated" });
    expect(screen.getByRole("dialog", { name: "Your rotated API credentials" })).toBe(dialog);
  });

  it("ignores Escape until the confirmation is ticked, and says why", async () => {
    const { user, onClose, dialog } = await openHost();
    expect(within(dialog).queryByText(STORED_REQUIRED)).toBeNull();

    await user.keyboard("{Escape}");

    expect(screen.getByRole("dialog")).toBe(dialog);
    expect(onClose).not.toHaveBeenCalled();
    expect(within(dialog).getByText(STORED_REQUIRED)).toBeTruthy();
    const checkbox = within(dialog).getByRole("checkbox", { name: "I have stored these credentials" });
    expect(document.activeElement).toBe(checkbox);

    await user.click(checkbox);
    expect(within(dialog).queryByText(STORED_REQUIRED)).toBeNull();
    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("ignores a click outside until the confirmation is ticked", async () => {
    const { user, onClose, dialog } = await openHost();
    const overlay = document.querySelector(".kt-overlay");
    expect(overlay).not.toBeNull();

    await user.click(overlay!);

    expect(screen.getByRole("dialog")).toBe(dialog);
    expect(onClose).not.toHaveBeenCalled();
    expect(within(dialog).getByText(STORED_REQUIRED)).toBeTruthy();
  });

  it("keeps Done disabled until the confirmation is ticked", async () => {
    const { user, onClose, dialog, trigger } = await openHost();
    const done = within(dialog).getByRole("button", { name: "Done" });
    const checkbox = within(dialog).getByRole("checkbox", { name: "I have stored these credentials" });
    expect(done).toHaveProperty("disabled", true);

    await user.click(checkbox);
    expect(done).toHaveProperty("disabled", false);
    await user.click(checkbox);
    expect(done).toHaveProperty("disabled", true);
    await user.click(done);
    expect(onClose).not.toHaveBeenCalled();

    await user.click(checkbox);
    await user.click(done);

    expect(onClose).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.body.innerHTML).not.toContain(CREDENTIALS.secret);
    // Without a returnFocus prop, focus goes back to what opened the dialog.
    expect(document.activeElement).toBe(trigger);
  });

  it("starts unconfirmed again when it is opened for the next credentials", async () => {
    const { user, dialog, trigger } = await openHost();
    await user.keyboard("{Escape}");
    await user.click(within(dialog).getByRole("checkbox", { name: "I have stored these credentials" }));
    await user.click(within(dialog).getByRole("button", { name: "Done" }));

    await user.click(trigger);

    const reopened = screen.getByRole("dialog", { name: "Your new API credentials" });
    expect(within(reopened).getByRole("checkbox", { name: "I have stored these credentials" })).toHaveProperty(
      "checked",
      false,
    );
    expect(within(reopened).getByRole("button", { name: "Done" })).toHaveProperty("disabled", true);
    expect(within(reopened).queryByText(STORED_REQUIRED)).toBeNull();
  });

  it("sends focus where returnFocus says when it closes", async () => {
    const elsewhere = document.createElement("button");
    elsewhere.textContent = "Elsewhere";
    document.body.append(elsewhere);
    const { user, dialog } = await openHost({ returnFocus: () => elsewhere });
    await user.click(within(dialog).getByRole("checkbox", { name: "I have stored these credentials" }));
    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(elsewhere);
    elsewhere.remove();
  });

  it("takes its strings and theme from its own localization and appearance props", async () => {
    const { dialog } = await openHost({
      localization: { revealTitleCreated: "Ihre neuen Zugangsdaten", done: "Fertig", keyIdLabel: "Schlüssel-ID" },
      appearance: { theme: "dark", variables: { colorPrimary: "#7c3aed" } },
    });

    expect(screen.getByRole("dialog", { name: "Ihre neuen Zugangsdaten" })).toBe(dialog);
    expect(within(dialog).getByRole("button", { name: "Fertig" })).toBeTruthy();
    expect(within(dialog).getByLabelText("Schlüssel-ID")).toHaveProperty("value", CREDENTIALS.keyId);
    // Strings not overridden keep their English default.
    expect(within(dialog).getByLabelText("Secret")).toHaveProperty("value", CREDENTIALS.secret);
    const layer = dialog.closest<HTMLElement>(".kt-layer");
    expect(layer?.getAttribute("data-kt-theme")).toBe("dark");
    expect(layer?.style.getPropertyValue("--kt-color-primary")).toBe("#7c3aed");
  });

  it('names the .env file "api-secret.env" when the secret has no name', async () => {
    const { user, dialog } = await openHost({ envFile: { secretVariable: "MY_SECRET" } });
    downloads = captureDownloads();

    await user.click(within(dialog).getByRole("button", { name: "Download .env" }));

    expect(downloads.clicks.map((click) => click.download)).toEqual(["api-secret.env"]);
    expect(await blobText(downloads.clicks[0]!.blob!)).toBe(
      `ANALYTICS_KEY_ID=${CREDENTIALS.keyId}\nMY_SECRET=${CREDENTIALS.secret}\n`,
    );
  });
});
