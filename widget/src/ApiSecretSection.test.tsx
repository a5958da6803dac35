import { describe, expect, it } from "@jest/globals";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeKeyturn } from "../test/fake-keyturn";
import { ApiSecretSection } from "./ApiSecretSection";

describe("ApiSecretSection", () => {
  it("lists the project's secrets with their Key ID and masked hint", async () => {
    const server = new FakeKeyturn();
    const secret = server.addSecret({ name: "Reporting" });
    render(<ApiSecretSection projectId="demo" client={server.client()} />);
    const row = (await screen.findByRole("heading", { name: "Reporting" })).closest("li")!;
    expect(within(row).getByText(secret.currentKeyId)).toBeTruthy();
    expect(within(row).getByText("ktsk_…AbCd")).toBeTruthy();
    expect(within(row).getByText("Never used")).toBeTruthy();
  });

  it("creates a secret and reveals it once", async () => {
    const server = new FakeKeyturn();
    const user = userEvent.setup();
    render(<ApiSecretSection projectId="demo" client={server.client()} />);
    await user.click(await screen.findByRole("button", { name: "Create secret" }));
    await user.type(screen.getByLabelText("Name (optional)"), "Billing");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create secret" }));
    const dialog = await screen.findByRole("dialog", { name: "Your new API credentials" });
    const secret = server.revealed[0]!;
    expect(within(dialog).getByDisplayValue(secret)).toBeTruthy();
    await user.click(within(dialog).getByRole("checkbox", { name: "I have stored these credentials" }));
    await user.click(within(dialog).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.body.innerHTML).not.toContain(secret);
    expect(await screen.findByRole("heading", { name: "Billing" })).toBeTruthy();
  });
});
