import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The load generator's core: the server under test gets the other one (see lib/processes.ts). */
export const LOAD_CORE = "1";

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** A wrk Lua script (lib/lua.ts) that builds each request; without one, GET `url`. */
  script?: string;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  /** Latency percentiles, in milliseconds. */
  p50: number;
  p99: number;
  max: number;
  /** Responses other than 2xx/3xx (expected for the refusal scenarios), and socket errors. */
  non2xx: number;
  socketErrors: number;
  /** Counters a script reports from its done() on stderr as `name=value`. */
  counters: Record<string, number>;
}

/** One wrk run (keep-alive, no pipelining, one thread), pinned to the load core. */
export async function wrk(options: LoadOptions): Promise<LoadResult> {
  const args = [
    "-c",
    LOAD_CORE,
    "wrk",
    "-t1",
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
    "--timeout",
    "10s",
    ...(options.script ? ["-s", options.script] : []),
    options.url,
  ];
  const { stdout, stderr } = await run("taskset", args, { maxBuffer: 16 * 1024 * 1024 });
  return parseWrk(stdout, stderr, options);
}

/** Reads wrk 4's text report. */
export function parseWrk(
  stdout: string,
  stderr: string,
  options: Pick<LoadOptions, "connections" | "seconds">,
): LoadResult {
  // wrk reports a broken script on stderr and then carries on with plain GETs: refuse the run.
  if (/\.lua:\d+:/.test(stderr)) throw new Error(`wrk script error: ${stderr}`);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(stdout);
    return match ? toMs(Number(match[1]), match[2] ?? "ms") : NaN;
  };
  const maxMatch = /Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const counters: Record<string, number> = {};
  for (const [, name, value] of stderr.matchAll(/^(\w+)=(\d+)$/gm)) counters[name ?? ""] = Number(value);
  if (!Number.isFinite(rps) || !Number.isFinite(requests)) throw new Error(`wrk gave no result:\n${stdout}\n${stderr}`);
  return {
    connections: options.connections,
    seconds: options.seconds,
    requests,
    rps,
    p50: percentile("50"),
    p99: percentile("99"),
    max: maxMatch ? toMs(Number(maxMatch[1]), maxMatch[2] ?? "ms") : NaN,
    non2xx,
    socketErrors,
    counters,
  };
}

function toMs(value: number, unit: string): number {
  return unit === "us" ? value / 1000 : unit === "s" ? value * 1000 : value;
}
