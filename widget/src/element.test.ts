import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeKeyturn } from "../test/fake-keyturn";
import { findRow } from "../test/render-section";
import "./element";
import type { KeyturnApiSecretsElement } from "./element";

const originalFetch = globalThis.fetch;
let fake: FakeKeyturn;
let requests: Array<{ url: string; authorization: string | null; credentials: unknown }>;

beforeEach(() => {
  fake = new FakeKeyturn();
  requests = [];
  globalThis.fetch = (input: unknown, init?: RequestInit) => {
    const url = String(input);
    requests.push({
      url,
      authorization: new Headers(init?.headers).get("authorization"),
      credentials: init?.credentials,
    });
    if (url === "/keyturn-token") return Promise.resolve(Response.json({ token: "from-token-url" }));
    if (url === "/keyturn-token.txt") return Promise.resolve(new Response("plain-token\n"));
    return fake.fetch(input, init);
  };
});

afterEach(() => {
  globalThis.fetch = originalFetch;
  for (const element of Array.from(document.querySelectorAll("keyturn-api-secrets"))) {
    act(() => {
      element.remove();
    });
  }
  jest.restoreAllMocks();
});

function create(attributes: Record<string, string>, getAccessToken?: () => Promise<string>) {
  const element = document.createElement("keyturn-api-secrets");
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (getAccessToken) element.getAccessToken = getAccessToken;
  act(() => {
    document.body.append(element);
  });
  return element;
}

describe("<keyturn-api-secrets>", () => {
  it("is registered as a custom element", () => {
    expect(customElements.get("keyturn-api-secrets")).toBeDefined();
    expect(document.createElement("keyturn-api-secrets").constructor.name).toBe("KeyturnApiSecretsElement");
  });

  it("renders the section for project-id, endpoint and a getAccessToken property", async () => {
    fake.addSecret({ name: "Reporting" });
    const getAccessToken = jest.fn(() => Promise.resolve("host-token"));
    const element = create({ "project-id": "demo", endpoint: "https://keys.example.com/graphql" }, getAccessToken);

    const row = await findRow("Reporting");
    expect(element.contains(row)).toBe(true);
    expect(getAccessToken).toHaveBeenCalled();
    expect(requests.map((request) => [request.url, request.authorization])).toEqual([
      ["https://keys.example.com/graphql", "Bearer host-token"],
    ]);
  });

  it('dispatches a bubbling "keyturn-change" event after a create, without the secret', async () => {
    const element = create({ "project-id": "demo", endpoint: "/graphql" }, () => Promise.resolve("host-token"));
    const changes: CustomEvent[] = [];
    document.addEventListener("keyturn-change", (event) => changes.push(event as CustomEvent));
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Create secret" }));
    await user.type(screen.getByLabelText("Name (optional)"), "Billing");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create secret" }));
    await screen.findByRole("dialog", { name: "Your new API credentials" });

    expect(changes).toHaveLength(1);
    expect(changes[0]!.target).toBe(element);
    expect(changes[0]!.detail).toEqual({
      type: "created",
      secretId: fake.secrets[0]!.id,
      keyId: fake.secrets[0]!.currentKeyId,
    });
    expect(JSON.stringify(changes[0]!.detail)).not.toContain(fake.revealed[0]);
  });

  it("logs an error and renders nothing when attributes are missing", () => {
    const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);

    const withoutEndpoint = create({ "project-id": "demo" }, () => Promise.resolve("host-token"));
    const withoutToken = create({ "project-id": "demo", endpoint: "/graphql" });
    const withoutProject = create({ endpoint: "/graphql" }, () => Promise.resolve("host-token"));

    expect(consoleError).toHaveBeenCalledTimes(3);
    expect(consoleError).toHaveBeenCalledWith(
      "<keyturn-api-secrets> needs project-id, endpoint and token-url (or a getAccessToken property)",
    );
    for (const element of [withoutEndpoint, withoutToken, withoutProject]) expect(element.childNodes).toHaveLength(0);
    expect(requests).toEqual([]);
  });

  it("renders once the missing attribute arrives", async () => {
    jest.spyOn(console, "error").mockImplementation(() => undefined);
    fake.addSecret({ name: "Reporting" });
    const element = create({ "project-id": "demo" }, () => Promise.resolve("host-token"));
    expect(element.childNodes).toHaveLength(0);

    act(() => {
      element.setAttribute("endpoint", "/graphql");
    });

    expect(element.contains(await findRow("Reporting"))).toBe(true);
  });

  it("fetches the token from token-url with the page's cookies, as JSON or as text", async () => {
    fake.addSecret({ name: "Reporting" });
    create({ "project-id": "demo", endpoint: "/graphql", "token-url": "/keyturn-token" });
    await findRow("Reporting");
    expect(requests[0]).toEqual({ url: "/keyturn-token", authorization: null, credentials: "include" });
    expect(requests[1]).toMatchObject({ url: "/graphql", authorization: "Bearer from-token-url" });

    act(() => {
      document.querySelector("keyturn-api-secrets")?.remove();
    });
    requests = [];
    create({ "project-id": "demo", endpoint: "/graphql", "token-url": "/keyturn-token.txt" });
    await findRow("Reporting");
    expect(requests.find((request) => request.url === "/graphql")?.authorization).toBe("Bearer plain-token");
  });

  it("applies the theme and locale attributes, and follows changes to them", async () => {
    fake.addSecret({ name: "Reporting", lastUsedAt: new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString() });
    const element = create({ "project-id": "demo", endpoint: "/graphql", theme: "dark", locale: "de-DE" }, () =>
      Promise.resolve("host-token"),
    );

    const row = await findRow("Reporting");
    expect(element.querySelector("section")?.getAttribute("data-kt-theme")).toBe("dark");
    expect(within(row).getByText(/^Last used/).textContent).toMatch(/vor/);

    act(() => {
      element.setAttribute("theme", "light");
    });
    expect(element.querySelector("section")?.getAttribute("data-kt-theme")).toBe("light");
    act(() => {
      element.setAttribute("theme", "neon");
    });
    expect(element.querySelector("section")?.getAttribute("data-kt-theme")).toBe("auto");
  });

  it("takes appearance and localization as properties", async () => {
    const element: KeyturnApiSecretsElement = create({ "project-id": "demo", endpoint: "/graphql" }, () =>
      Promise.resolve("host-token"),
    );
    await screen.findByText("No API secrets yet");

    act(() => {
      element.localization = { emptyTitle: "Noch keine Schlüssel" };
      element.appearance = { variables: { colorPrimary: "#ff0066" } };
    });

    expect(screen.getByText("Noch keine Schlüssel")).toBeTruthy();
    expect(element.querySelector("section")?.style.getPropertyValue("--kt-color-primary")).toBe("#ff0066");
    expect(element.localization).toEqual({ emptyTitle: "Noch keine Schlüssel" });
  });

  it("unmounts the section when removed from the page", async () => {
    const element = create({ "project-id": "demo", endpoint: "/graphql" }, () => Promise.resolve("host-token"));
    await screen.findByText("No API secrets yet");

    act(() => {
      element.remove();
    });

    expect(element.childNodes).toHaveLength(0);
    expect(screen.queryByText("No API secrets yet")).toBeNull();
  });

  it("installs the stylesheet once however many elements there are", async () => {
    create({ "project-id": "demo", endpoint: "/graphql" }, () => Promise.resolve("a"));
    create({ "project-id": "demo", endpoint: "/graphql" }, () => Promise.resolve("b"));
    await screen.findAllByText("No API secrets yet");

    // jsdom has no adoptedStyleSheets, so this is the <style> fallback for older browsers.
    expect(document.querySelectorAll("style[data-keyturn]")).toHaveLength(1);
  });
});
