import { describe, expect, it } from "@jest/globals";
import { basicCredentials, basicToken } from "./basic-credentials";

const basic = (text: string) => `Basic ${Buffer.from(text).toString("base64")}`;

// The expression basicToken replaced, kept here as its specification.
const SPECIFIED = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;

describe("basicToken", () => {
  it.each([
    ["Basic a2V5OnNlY3JldA==", "a2V5OnNlY3JldA=="],
    ["basic a2V5OnNlY3JldA=", "a2V5OnNlY3JldA="],
    ["BASIC   a2V5OnNlY3JldA  ", "a2V5OnNlY3JldA"],
    ["bAsIc +/09", "+/09"],
  ])("takes %j as %j", (header, token) => {
    expect(basicToken(header)).toBe(token);
  });

  it.each([
    "",
    "Basic",
    "Basic ",
    "Basic  ",
    "Basic ===",
    "Basic a2V5===",
    "Basic a2V5=a",
    "Basic a2V5 a2V5",
    "Basic\ta2V5",
    "Basica2V5",
    "Bearer a2V5",
    "Basic %%%",
    "Basic a2V5_-",
    "Basic a2V5é",
    "ſasic a2V5",
    " Basic a2V5",
    `Basic ${"A".repeat(1_019)}`,
  ])("refuses %j", (header) => {
    expect(basicToken(header)).toBeUndefined();
  });

  it("takes a header of up to 1,024 characters", () => {
    expect(basicToken(`Basic ${"A".repeat(1_018)}`)).toBe("A".repeat(1_018));
  });

  it("agrees with the expression it replaced on 20,000 generated headers", () => {
    const schemes = ["Basic", "basic", "BASIC", "Basic", "Basi", "Bearer", "ſasic", ""];
    const spaces = ["", " ", " ", "  ", "\t"];
    const tokenPieces = ["a2V5", "Og", "+/", "a2V5", "Og", "=", "==", " ", "%", "é", "-_"];
    const endings = ["", " ", "=", "==", "===", "\t"];
    let seed = 42;
    const pick = (from: string[]) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      // The high bits: a power-of-two LCG's low bits repeat after a few steps.
      return from[Math.floor(seed / 2 ** 16) % from.length] ?? "";
    };
    let accepted = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const token = Array.from({ length: 1 + (tokenPieces.indexOf(pick(tokenPieces)) % 3) }, () =>
        pick(tokenPieces),
      ).join("");
      const header = pick(schemes) + pick(spaces) + pick(spaces) + token + pick(endings);
      const specified = SPECIFIED.exec(header)?.[1];
      if (specified !== undefined) accepted++;
      if (basicToken(header) !== specified) disagreements.push(header);
    }
    expect(disagreements).toEqual([]);
    // Enough of both kinds for the comparison to mean something.
    expect(accepted).toBeGreaterThan(500);
    expect(accepted).toBeLessThan(19_000);
  });
});

describe("basicCredentials", () => {
  it("splits at the first colon, so a secret may hold colons", () => {
    expect(basicCredentials(basic("kt_key:se:cret"))).toEqual({ keyId: "kt_key", secret: "se:cret" });
  });

  it("decodes each side as UTF-8", () => {
    expect(basicCredentials(basic("clé:sécret"))).toEqual({ keyId: "clé", secret: "sécret" });
  });

  it.each([
    ["no header", undefined],
    ["no colon", basic("kt_key")],
    ["another scheme", "Bearer a2V5OnNlY3JldA=="],
    ["a token that is not base64", "Basic a2V5%OnNlY3JldA=="],
  ])("presents nothing for %s", (_label, header) => {
    expect(basicCredentials(header)).toEqual({ keyId: undefined, secret: undefined });
  });

  it("takes an empty Key ID or secret as given, for the verifier to refuse", () => {
    expect(basicCredentials(basic(":"))).toEqual({ keyId: "", secret: "" });
  });
});
