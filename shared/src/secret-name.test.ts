import { describe, expect, it } from "@jest/globals";
import { checkSecretName } from "./secret-name";

describe("checkSecretName", () => {
  it("trims and accepts names of 1 to 100 characters, counting emoji as one", () => {
    expect(checkSecretName("  Production  ")).toEqual({ ok: true, name: "Production" });
    expect(checkSecretName("🔑".repeat(100))).toEqual({ ok: true, name: "🔑".repeat(100) });
    expect(checkSecretName("a".repeat(100)).ok).toBe(true);
  });

  it("rejects empty, over-long and control-character names with a message", () => {
    expect(checkSecretName("   ")).toEqual({ ok: false, message: "Name must not be empty." });
    expect(checkSecretName("a".repeat(101))).toMatchObject({ ok: false, message: expect.stringMatching(/100/) });
    expect(checkSecretName("bad\u0000name").ok).toBe(false);
    expect(checkSecretName("evil\u202Etxt.exe").ok).toBe(false);
    expect(checkSecretName("a\uD800b")).toEqual({ ok: false, message: "Name must be valid Unicode text." });
    expect(checkSecretName("a\uDC00b").ok).toBe(false);
  });

  it("keeps markup and SQL-looking names as plain text", () => {
    expect(checkSecretName("<img src=x onerror=alert(1)>")).toMatchObject({ ok: true });
    expect(checkSecretName("'; DROP TABLE api_secret; --")).toMatchObject({ ok: true });
  });
});
