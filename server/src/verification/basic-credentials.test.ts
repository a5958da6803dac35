import { describe, expect, it } from "@jest/globals";
import { basicToken } from "./basic-credentials";

// What the scan replaced: it must capture exactly what this did, for every header.
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const reference = (header: string) => BASIC.exec(header)?.[1];

describe("basicToken", () => {
  it.each([
    ["Basic YWxpY2U6cGFzc3dvcmQ=", "YWxpY2U6cGFzc3dvcmQ="],
    ["bAsIc   YWxp  ", "YWxp"],
    ["BASIC a+/9==", "a+/9=="],
    ["Basic a", "a"],
  ])("takes the token of %j", (header, token) => {
    expect(basicToken(header)).toBe(token);
  });

  it.each([
    "",
    "Basic",
    "Basic ",
    "Basic    ",
    "Basic ===",
    "Basic a===",
    "Basic a= b",
    "Basic a-b",
    "Basic a_b",
    "Basic %%%",
    "Basic\tYWxp",
    "BasicYWxp",
    " Basic YWxp",
    "Basic YWxp\t",
    "Bearer YWxp",
    "Basik YWxp",
    "Basic YWxpé",
    "Basic YWx\u{1d400}",
    "\u212aasic YWxp",
  ])("refuses %j", (header) => {
    expect(basicToken(header)).toBeUndefined();
  });

  it("agrees with the regular expression on 20,000 headers made of the characters that matter", () => {
    // A fixed-seed generator, so that a failure can be replayed.
    let state = 0x2545f491;
    const next = (n: number) => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const pieces = [
      "Basic",
      "basic",
      "BASIC",
      "Basik",
      " ",
      "  ",
      "\t",
      "=",
      "==",
      "a",
      "Z",
      "0",
      "+",
      "/",
      "-",
      "é",
      "ſ",
      "K",
    ];
    for (let n = 0; n < 20_000; n++) {
      const header = Array.from({ length: next(8) }, () => pieces[next(pieces.length)]).join("");
      expect([header, basicToken(header)]).toEqual([header, reference(header)]);
    }
  });
});
