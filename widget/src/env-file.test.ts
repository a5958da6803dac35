import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { blobText, captureDownloads } from "../test/render-section";
import { downloadFile, envFileContent, envFileName } from "./env-file";

describe("envFileContent", () => {
  it("writes the Key ID and the secret as ANALYTICS_KEY_ID and ANALYTICS_SECRET", () => {
    expect(envFileContent("ktid_abc", "ktsk_xyz")).toBe("ANALYTICS_KEY_ID=ktid_abc\nANALYTICS_SECRET=ktsk_xyz\n");
  });

  it("uses the variable names given, each on its own", () => {
    expect(envFileContent("ktid_abc", "ktsk_xyz", { keyIdVariable: "KEY", secretVariable: "SECRET" })).toBe(
      "KEY=ktid_abc\nSECRET=ktsk_xyz\n",
    );
    expect(envFileContent("ktid_abc", "ktsk_xyz", { secretVariable: "SECRET" })).toBe(
      "ANALYTICS_KEY_ID=ktid_abc\nSECRET=ktsk_xyz\n",
    );
  });
});

describe("envFileName", () => {
  it("derives a file-system friendly name from the secret's name", () => {
    expect(envFileName("Billing")).toBe("billing.env");
    expect(envFileName("Reporting service")).toBe("reporting-service.env");
    expect(envFileName("  Prod / EU #2  ")).toBe("prod-eu-2.env");
    expect(envFileName("Zürich Café")).toBe("zurich-cafe.env");
  });

  it('falls back to "api-secret.env" when nothing usable is left', () => {
    expect(envFileName(undefined)).toBe("api-secret.env");
    expect(envFileName("")).toBe("api-secret.env");
    expect(envFileName("🔑🔑")).toBe("api-secret.env");
    expect(envFileName("../../")).toBe("api-secret.env");
  });

  it("keeps long names to 60 characters before the extension", () => {
    expect(envFileName("a".repeat(100))).toBe(`${"a".repeat(60)}.env`);
  });
});

describe("downloadFile", () => {
  let downloads: ReturnType<typeof captureDownloads>;
  afterEach(() => {
    downloads.restore();
    jest.useRealTimers();
  });

  it("clicks a temporary link to a Blob URL and revokes the URL right after", async () => {
    jest.useFakeTimers();
    downloads = captureDownloads();

    downloadFile("billing.env", "A=1\n");

    expect(downloads.clicks).toHaveLength(1);
    const [click] = downloads.clicks;
    expect(click!.download).toBe("billing.env");
    expect(click!.href).toMatch(/^blob:/);
    expect(click!.blob?.type).toBe("text/plain");
    expect(document.querySelector("a")).toBeNull();
    expect(downloads.revoked).toEqual([]);
    jest.runAllTimers();
    expect(downloads.revoked).toEqual([click!.href]);
    jest.useRealTimers();
    expect(await blobText(click!.blob!)).toBe("A=1\n");
  });

  it("revokes the URL even when the click throws", () => {
    jest.useFakeTimers();
    downloads = captureDownloads();
    const click = jest.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {
      throw new Error("blocked");
    });

    expect(() => {
      downloadFile("x.env", "A=1\n");
    }).toThrow("blocked");
    jest.runAllTimers();
    expect(downloads.revoked).toHaveLength(1);
    click.mockRestore();
  });
});
