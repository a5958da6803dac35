import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { expect, it } from "@jest/globals";
import { coreTimes, cpuMicros, imageNodeFlags, parseCoreTimes } from "./processes";

it("reads a process's CPU time from /proc as process.cpuUsage counts it", () => {
  const fromProc = cpuMicros(process.pid);
  const own = process.cpuUsage();
  // Burn 300 ms of CPU: /proc counts in clock ticks (10 ms), so the two may differ by a few.
  let spent = 0;
  while (spent < 300_000) {
    const used = process.cpuUsage(own);
    spent = used.user + used.system;
  }
  const measured = cpuMicros(process.pid) - fromProc;
  expect(Math.abs(measured - spent)).toBeLessThan(40_000);
});

/** Clock ticks per second of /proc's CPU times. */
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

it("reads a core's busy and total time from /proc/stat, idle and I/O wait the only idle time", () => {
  const stat = [
    "cpu  300 2 90 262141 6856 0 32 0 0 0",
    "cpu0 100 1 40 1000 20 3 7 9 50 0",
    "cpu1 200 1 50 2000 30 0 25 0 0 0",
    "intr 1 2 3",
  ].join("\n");
  const ticks = (n: number) => (n * 1_000_000) / TICKS;
  expect(parseCoreTimes(stat, "0")).toEqual({ busyMicros: ticks(160), totalMicros: ticks(1180) });
  expect(parseCoreTimes(stat, "1")).toEqual({ busyMicros: ticks(276), totalMicros: ticks(2306) });
  expect(() => parseCoreTimes(stat, "2")).toThrow("no line for core 2");
  expect(() => parseCoreTimes("cpu0 1 2 3", "0")).toThrow("unreadable");
});

it("reads this machine's cores: their time advances with the clock, busy never more than the whole", async () => {
  const before = coreTimes("0");
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = coreTimes("0");
  const total = after.totalMicros - before.totalMicros;
  const busy = after.busyMicros - before.busyMicros;
  // Clock ticks of 10 ms, and a timer that may fire late on a loaded machine.
  expect(total).toBeGreaterThan(250_000);
  expect(total).toBeLessThan(1_000_000);
  expect(busy).toBeGreaterThanOrEqual(0);
  expect(busy).toBeLessThanOrEqual(total);
});

it("starts the server with the flags of the image's command, and refuses any other command", () => {
  // Read from here: ROOT is reckoned from bench/dist/lib, where the bench runs.
  const dockerfile = readFileSync(join(__dirname, "../../server/Dockerfile"), "utf8");
  expect(imageNodeFlags(dockerfile)).toEqual([
    "--initial-old-space-size=128",
    "--no-allocation-site-pretenuring",
    "--no-memory-reducer",
  ]);
  // The HEALTHCHECK's CMD is not the one: only a line that starts with CMD is.
  expect(imageNodeFlags('HEALTHCHECK CMD ["node", "-e", "x"]\nCMD ["node", "server/dist/main.js"]\n')).toEqual([]);
  expect(() => imageNodeFlags('CMD ["npm", "start"]\n')).toThrow("is not");
  expect(() => imageNodeFlags("FROM node:20\n")).toThrow("none");
});
