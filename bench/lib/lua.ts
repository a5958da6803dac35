import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PreparedRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const dir = mkdtempSync(join(tmpdir(), "keyturn-bench-lua-"));
// The scripts hold every request of a run (tokens and credentials too): gone with the process.
process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
let written = 0;

/** Lua long-bracket literal: no escaping needed for tokens, JSON or base64. */
function literal(text: string): string {
  if (text.includes("]==]")) throw new Error("cannot embed text containing ]==]");
  return `[==[${text}]==]`;
}

/**
 * A wrk script that sends `requests` round-robin, each formatted once up front so the load
 * generator spends its time on sockets. With `countErrorsIn`, responses whose body contains that
 * text (GraphQL `"errors"`) are counted and reported as `errors=<n>` on stderr.
 */
export function roundRobinScript(requests: PreparedRequest[], options: { countErrorsIn?: string } = {}): string {
  if (requests.length === 0) throw new Error("no requests to send");
  const entries = requests.map((r) => {
    const headers = Object.entries(r.headers)
      .map(([name, value]) => `[ ${literal(name)} ] = ${literal(value)}`)
      .join(", ");
    return `  { ${literal(r.method)}, ${literal(r.path)}, { ${headers} }, ${r.body === undefined ? "nil" : literal(r.body)} },`;
  });
  const counting = options.countErrorsIn
    ? `
errors = 0
response = function(status, headers, body)
  if status ~= 200 or string.find(body, ${literal(options.countErrorsIn)}, 1, true) then errors = errors + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("errors") end
  io.stderr:write("errors=" .. total .. "\\n")
end
`
    : "";
  const script = `local specs = {
${entries.join("\n")}
}
local prepared = {}
local index = 0
init = function(args)
  for i, spec in ipairs(specs) do prepared[i] = wrk.format(spec[1], spec[2], spec[3], spec[4]) end
end
request = function()
  index = index % #prepared + 1
  return prepared[index]
end
${counting}`;
  const file = join(dir, `script-${++written}.lua`);
  writeFileSync(file, script);
  return file;
}
