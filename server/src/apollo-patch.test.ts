import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "@jest/globals";

// patches/@apollo+server+*.patch (applied by patch-package on install): Apollo Server copies an
// object with a spread and adds a key after it three times per operation, and on Node 20's V8
// every such copy gets a hidden class of its own (patches/README.md). V8 logs each hidden class it
// makes (--log-maps): two runs of the same warm server, one with 1,000 more operations than the
// other, tell how many each operation makes.

const ROOT = resolve(__dirname, "../..");
const EXTRA_OPERATIONS = 1_000;

// Operations through executeHTTPGraphQLRequest, the entry point Keyturn's route calls, with
// variables and a field error, so that the path that formats errors runs as well.
const SCRIPT = `
const { ApolloServer, HeaderMap } = require("@apollo/server");
const server = new ApolloServer({
  typeDefs: "input In { id: ID! } type Out { id: ID! } type Query { ok: Boolean } type Mutation { change(input: In!): Out, fail: Boolean }",
  resolvers: { Mutation: { change: (_, { input }) => ({ id: input.id }), fail: () => { throw new Error("no"); } } },
  logger: { debug() {}, info() {}, warn() {}, error() {} },
});
const body = { query: "mutation($input: In!) { change(input: $input) { id } fail }", variables: { input: { id: "a" } } };
(async () => {
  await server.start();
  const count = 200 + Number(process.argv[1]);
  for (let i = 0; i < count; i++) {
    const response = await server.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: "POST", headers: new HeaderMap([["content-type", "application/json"]]), search: "", body },
      context: async () => ({}),
    });
    if (!response.body.string.includes('"change":{"id":"a"}')) throw new Error(response.body.string);
  }
  await server.stop();
})();
`;

function hiddenClassesMade(extraOperations: number): number {
  const dir = mkdtempSync(join(tmpdir(), "keyturn-maps-"));
  try {
    const log = join(dir, "v8.log");
    execFileSync(
      process.execPath,
      ["--log-maps", `--logfile=${log}`, "--no-logfile-per-isolate", "-e", SCRIPT, String(extraOperations)],
      { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
    );
    return readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("map,")).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("Apollo Server, as patched", () => {
  it("makes no hidden class per operation once warm", () => {
    const perOperation = (hiddenClassesMade(EXTRA_OPERATIONS) - hiddenClassesMade(0)) / EXTRA_OPERATIONS;
    // Unpatched: three per operation, one for each copy.
    expect(perOperation).toBeLessThan(0.1);
  }, 60_000);
});
