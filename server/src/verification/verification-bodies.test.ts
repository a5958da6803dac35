import { describe, expect, it } from "@jest/globals";
import { reportJson, validJson } from "./verification-bodies";

// Project IDs are the host's: any string, including what JSON must escape.
const PROJECT_IDS = [
  "acme",
  "",
  'quote " and \\ backslash',
  "line\nbreak\ttab\u0000nul",
  "projekt-ž-東京-😀",
  "\ud800",
];
const KEY_ID = "ktid_KB5xWT9tMTkukPgg08JMMh";

describe("the verification routes' bodies", () => {
  it.each(PROJECT_IDS)("answer POST /v1/verify as JSON.stringify would, for project %j", (projectId) => {
    const credential = { projectId, secretId: "0190a0b0-0000-7000-8000-000000000001", keyId: KEY_ID };
    const json = validJson(credential);
    expect(json).toBe(JSON.stringify({ valid: true, ...credential }));
    expect(JSON.parse(json)).toEqual({ valid: true, ...credential });
  });

  it.each(PROJECT_IDS)("answer the report route as JSON.stringify would, for project %j", (projectId) => {
    const json = reportJson(projectId, KEY_ID);
    const parsed = JSON.parse(json) as { projectId: string; keyId: string; report: Record<string, unknown> };
    expect(json).toBe(JSON.stringify({ projectId, keyId: KEY_ID, report: parsed.report }));
    expect(parsed).toMatchObject({ projectId, keyId: KEY_ID, report: { period: "last_7_days" } });
  });

  it("give a project the same report every time, and another project another", () => {
    const report = (projectId: string) => (JSON.parse(reportJson(projectId, KEY_ID)) as { report: unknown }).report;
    expect(report("acme")).toEqual(report("acme"));
    expect(report("acme")).toEqual({ period: "last_7_days", pageviews: 1_346, visitors: 446 });
    expect(report("globex")).not.toEqual(report("acme"));
  });
});
