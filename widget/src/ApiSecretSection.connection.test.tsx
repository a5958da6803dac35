import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { render, screen, within } from "@testing-library/react";
import { FakeKeyturn } from "../test/fake-keyturn";
import { findRow } from "../test/render-section";
import { ApiSecretSection } from "./ApiSecretSection";

const originalFetch = globalThis.fetch;
let fake: FakeKeyturn;
let fetchSpy: jest.Mock<typeof fake.fetch>;

beforeEach(() => {
  fake = new FakeKeyturn();
  fetchSpy = jest.fn(fake.fetch);
  globalThis.fetch = fetchSpy;
});

afterEach(() => {
  globalThis.fetch = originalFetch;
});

function tokens(...values: string[]) {
  const getAccessToken = jest.fn<() => Promise<string>>();
  for (const value of values) getAccessToken.mockResolvedValueOnce(value);
  getAccessToken.mockRejectedValue(new Error("asked for more tokens than expected"));
  return getAccessToken;
}

describe("ApiSecretSection with endpoint and getAccessToken", () => {
  it("loads the list with the host's token", async () => {
    fake.addSecret({ name: "Reporting" });
    const getAccessToken = tokens("token-1");
    render(
      <ApiSecretSection projectId="demo" endpoint="https://keys.example.com/graphql" getAccessToken={getAccessToken} />,
    );

    expect(await findRow("Reporting")).toBeTruthy();
    expect(getAccessToken).toHaveBeenCalledTimes(1);
    expect(fetchSpy.mock.calls[0]![0]).toBe("https://keys.example.com/graphql");
  });

  it("asks for a new token when the first is refused, retries once and shows the list", async () => {
    fake.addSecret({ name: "Reporting" });
    fake.expiredTokens.add("expired");
    const getAccessToken = tokens("expired", "fresh");
    render(<ApiSecretSection projectId="demo" endpoint="/graphql" getAccessToken={getAccessToken} />);

    expect(await findRow("Reporting")).toBeTruthy();
    expect(getAccessToken).toHaveBeenCalledTimes(2);
    expect(fetchSpy).toHaveBeenCalledTimes(2);
    expect(fake.count("ApiSecrets")).toBe(1);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows the error in place when the new token is refused too", async () => {
    fake.addSecret({ name: "Reporting" });
    fake.expiredTokens.add("expired");
    fake.expiredTokens.add("still-expired");
    const getAccessToken = tokens("expired", "still-expired", "unused");
    render(<ApiSecretSection projectId="demo" endpoint="/graphql" getAccessToken={getAccessToken} />);

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("API secrets could not be loaded.")).toBeTruthy();
    expect(within(alert).getByText("Your session has expired. Reload the page and sign in again.")).toBeTruthy();
    expect(getAccessToken).toHaveBeenCalledTimes(2);
    expect(fetchSpy).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole("list")).toBeNull();
  });

  it("keeps one client when the host passes a new getAccessToken on each render, and uses the latest", async () => {
    fake.addSecret({ name: "Reporting" });
    fake.expiredTokens.add("first-expired");
    const first = tokens("first-expired");
    const { rerender } = render(<ApiSecretSection projectId="demo" endpoint="/graphql" getAccessToken={first} />);
    // The first function's token is refused; by the time a new one is needed the host re-rendered.
    const second = tokens("second-fresh");
    rerender(<ApiSecretSection projectId="demo" endpoint="/graphql" getAccessToken={second} />);

    expect(await findRow("Reporting")).toBeTruthy();
    expect(fake.count("ApiSecrets")).toBe(1);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("refuses to render without either a client or an endpoint", () => {
    const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(() =>
        render(<ApiSecretSection {...({ projectId: "demo" } as unknown as Parameters<typeof ApiSecretSection>[0])} />),
      ).toThrow("ApiSecretSection needs either `client` or `endpoint` and `getAccessToken`");
    } finally {
      consoleError.mockRestore();
    }
  });
});
