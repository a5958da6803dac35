import { afterEach, describe, expect, it } from "@jest/globals";
import { act, screen } from "@testing-library/react";
import { FakeKeyturn } from "../test/fake-keyturn";
import { findRow } from "../test/render-section";
import { mount, unmount } from "./mount";

const hosts: HTMLElement[] = [];

function plainDiv(): HTMLDivElement {
  const div = document.createElement("div");
  document.body.append(div);
  hosts.push(div);
  return div;
}

afterEach(() => {
  for (const host of hosts.splice(0)) {
    act(() => {
      unmount(host);
    });
    host.remove();
  }
});

describe("mount and unmount", () => {
  it("renders the section into a plain element and removes it again", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const host = plainDiv();

    act(() => {
      mount(host, { projectId: "demo", client: fake.client() });
    });

    const row = await findRow("Reporting");
    expect(host.contains(row)).toBe(true);
    expect(host.querySelector("section.kt-root")).not.toBeNull();

    act(() => {
      unmount(host);
    });
    expect(host.childNodes).toHaveLength(0);
    expect(screen.queryByRole("heading", { name: "Reporting" })).toBeNull();
  });

  it("updates the props when mount is called again on the same element", async () => {
    const fake = new FakeKeyturn();
    const client = fake.client();
    const host = plainDiv();
    act(() => {
      mount(host, { projectId: "demo", client });
    });
    await screen.findByText("No API secrets yet");
    const section = host.querySelector("section");

    act(() => {
      mount(host, { projectId: "demo", client, localization: { title: "Schlüssel" }, appearance: { theme: "dark" } });
    });

    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Schlüssel");
    expect(host.querySelectorAll("section")).toHaveLength(1);
    // The same tree was updated, not a second root rendered beside it.
    expect(host.querySelector("section")).toBe(section);
    expect(section?.getAttribute("data-kt-theme")).toBe("dark");
    expect(fake.count("ApiSecrets")).toBe(1);
  });

  it("can mount again after unmounting, and ignores unmounting an element it never mounted", async () => {
    const fake = new FakeKeyturn();
    const host = plainDiv();
    const other = plainDiv();
    expect(() => {
      unmount(other);
    }).not.toThrow();

    act(() => {
      mount(host, { projectId: "demo", client: fake.client() });
    });
    await screen.findByText("No API secrets yet");
    act(() => {
      unmount(host);
    });
    expect(host.innerHTML).toBe("");
    act(() => {
      unmount(host);
    });

    act(() => {
      mount(host, { projectId: "demo", client: fake.client() });
    });
    expect(await screen.findByText("No API secrets yet")).toBeTruthy();
    expect(host.querySelectorAll("section")).toHaveLength(1);
  });
});
