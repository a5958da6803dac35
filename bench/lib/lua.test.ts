import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "@jest/globals";
import { ModuleKind, transpileModule } from "typescript";

const scratch = mkdtempSync(join(tmpdir(), "keyturn-lua-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("removes its scripts, which hold every request's token and credentials, when the process exits", () => {
  // In a process of its own, as the bench runs it: this module with node's modules only, compiled alone.
  const { outputText } = transpileModule(readFileSync(join(__dirname, "lua.ts"), "utf8"), {
    compilerOptions: { module: ModuleKind.CommonJS },
  });
  const compiled = join(scratch, "lua.js");
  writeFileSync(compiled, outputText);
  const script = execFileSync(process.execPath, [
    "-e",
    `const file = require(${JSON.stringify(compiled)}).roundRobinScript([
      { method: "GET", path: "/", headers: { Authorization: "Basic a2V5OnNlY3JldA==" } },
    ]);
    if (!require("node:fs").readFileSync(file, "utf8").includes("Basic a2V5OnNlY3JldA==")) process.exit(1);
    process.stdout.write(file);`,
  ]).toString();
  expect(script).toMatch(/keyturn-bench-lua-.+\.lua$/);
  expect(existsSync(dirname(script))).toBe(false);
});
