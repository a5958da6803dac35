import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./ports";

// bench/dist/lib → the repository root.
export const ROOT = resolve(__dirname, "../../..");
/** The core every server under test runs on; wrk gets the other (lib/wrk.ts). */
export const SERVER_CORE = "0";

export const JWT_SECRET = randomBytes(32).toString("base64url");
export const PEPPER = randomBytes(32).toString("base64url");

export class BenchProcess {
  private output = "";
  private exited = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly url: string,
    private readonly cleanup: () => void = () => undefined,
  ) {
    child.stdout?.on("data", (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    child.stderr?.on("data", (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    child.once("exit", () => (this.exited = true));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`);
    return this.child.pid;
  }

  get logs(): string {
    return this.output;
  }

  /** Resident set size now and at its peak, in MB (taskset execs node, so the pid is node's). */
  memory(): { rssMb: number; peakRssMb: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024 };
  }

  async waitReady(path: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited:\n${this.output}`);
      try {
        const res = await fetch(`${this.url}${path}`);
        await res.arrayBuffer();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`${this.name} not ready within ${ms} ms:\n${this.output}`);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((done) => this.child.once("exit", done));
      this.child.kill("SIGTERM");
      const force = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(force);
    }
    this.cleanup();
  }
}

function pinned(name: string, args: string[], env: Record<string, string>, port: number, cleanup?: () => void) {
  const child = spawn("taskset", ["-c", SERVER_CORE, process.execPath, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new BenchProcess(name, child, `http://127.0.0.1:${port}`, cleanup);
}

export async function startBare(): Promise<BenchProcess> {
  const server = pinned("bare node:http", [join(ROOT, "bench/dist/bare-server.js")], {}, await freePort());
  await server.waitReady("/");
  return server;
}

/** bench/raw-mutation-server.ts on `databaseUrl` (a database Keyturn has migrated), pinned as Keyturn is. */
export async function startRawMutations(databaseUrl: string, poolSize: number): Promise<BenchProcess> {
  const server = pinned(
    "raw node:http + mysql2 mutations",
    [join(ROOT, "bench/dist/raw-mutation-server.js")],
    { DATABASE_URL: databaseUrl, DB_POOL_SIZE: String(poolSize) },
    await freePort(),
  );
  await server.waitReady("/");
  return server;
}

/**
 * The node flags the image runs the server with: the arguments of server/Dockerfile's last CMD
 * between `node` and the script, so the bench measures what a deployment runs.
 */
export function imageNodeFlags(dockerfile = readFileSync(join(ROOT, "server/Dockerfile"), "utf8")): string[] {
  const cmd = dockerfile
    .match(/^CMD\s+(\[.*\])\s*$/gm)
    ?.at(-1)
    ?.replace(/^CMD\s+/, "");
  const command = cmd ? (JSON.parse(cmd) as string[]) : [];
  if (command[0] !== "node" || command.at(-1) !== "server/dist/main.js") {
    throw new Error(`server/Dockerfile's CMD is not ["node", …flags, "server/dist/main.js"]: ${cmd ?? "none"}`);
  }
  return command.slice(1, -1);
}

// Read once per bench run: the Dockerfile does not change while it runs.
let imageFlags: string[] | undefined;

/** `node server/dist/main.js` as the image runs it (its flags, production, JSON logs at warn). */
export async function startKeyturn(
  name: string,
  databaseUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<BenchProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "keyturn-bench-"));
  const server = pinned(
    name,
    [...(imageFlags ??= imageNodeFlags()), ...nodeArgs, join(ROOT, "server/dist/main.js")],
    {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      AUTH_JWT_SECRET: JWT_SECRET,
      SECRET_PEPPER: PEPPER,
      LOG_LEVEL: "warn",
      // The bench measures the paths, not the limits that would stop a flood from one address.
      RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
      RATE_LIMIT_FAILED_VERIFICATIONS_PER_IP: "1000000",
      RATE_LIMIT_FAILED_VERIFICATIONS_PER_KEY_ID: "1000000",
      MAX_ACTIVE_SECRETS_PER_PROJECT: "1000",
      ...env,
    },
    await freePort(),
    () => rmSync(dataDir, { recursive: true, force: true }),
  );
  await server.waitReady("/readyz");
  return server;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ). */
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

/** /proc's clock ticks in µs. */
export function ticksToMicros(ticks: number): number {
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** CPU time (user + system, all threads) a process has used so far, in µs, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  // The command name, in parentheses, may hold spaces and parentheses: the fields follow the last ")".
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ticksToMicros(Number(fields[11]) + Number(fields[12]));
}

/**
 * A core's CPU time so far, in µs: in all, busy (anything but idle and I/O wait), and two parts of
 * busy: interrupts (hard and soft, loopback networking's among them) and steal (time the hypervisor
 * gave to another guest). Steal is no process's time. Interrupts are, on a kernel that accounts by
 * ticks (the bench VMs': no CONFIG_IRQ_TIME_ACCOUNTING): each tick spent in one is also charged to
 * the process it struck.
 */
export interface CoreTimes {
  totalMicros: number;
  busyMicros: number;
  interruptsMicros: number;
  stealMicros: number;
}

/** `core`'s times from /proc/stat. */
export function coreTimes(core: string): CoreTimes {
  return parseCoreTimes(readFileSync("/proc/stat", "utf8"), core);
}

/** `core`'s times since `before` was read. */
export function coreTimesSince(before: CoreTimes, core: string): CoreTimes {
  const now = coreTimes(core);
  return {
    totalMicros: now.totalMicros - before.totalMicros,
    busyMicros: now.busyMicros - before.busyMicros,
    interruptsMicros: now.interruptsMicros - before.interruptsMicros,
    stealMicros: now.stealMicros - before.stealMicros,
  };
}

/** `core`'s times from the text of /proc/stat (proc(5)). */
export function parseCoreTimes(stat: string, core: string): CoreTimes {
  const line = stat.split("\n").find((l) => l.startsWith(`cpu${core} `));
  if (!line) throw new Error(`/proc/stat has no line for core ${core}`);
  // user nice system idle iowait irq softirq steal; guest and guest_nice, which follow, are already
  // counted in user and nice.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const tick = (field: number) => ticks[field] ?? NaN;
  const interrupts = tick(5) + tick(6);
  const steal = tick(7);
  const busy = tick(0) + tick(1) + tick(2) + interrupts + steal;
  const total = busy + tick(3) + tick(4);
  if (!Number.isFinite(total)) throw new Error(`unreadable /proc/stat line: ${line}`);
  return {
    totalMicros: ticksToMicros(total),
    busyMicros: ticksToMicros(busy),
    interruptsMicros: ticksToMicros(interrupts),
    stealMicros: ticksToMicros(steal),
  };
}
