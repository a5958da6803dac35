import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "@jest/globals";
import { coreTimes, coreTimesSince, cpuMicros, imageNodeFlags, parseCoreTimes, ticksToMicros } from "./processes";

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

it("reads a core's times from /proc/stat: idle and I/O wait idle, guest time already in user time", () => {
  const stat = [
    "cpu  300 2 90 262141 6856 0 32 0 0 0",
    "cpu0 100 1 40 1000 20 3 7 9 50 0",
    "cpu10 1 1 1 1 1 1 1 1 0 0",
    "cpu1 200 1 50 2000 30 0 25 0 0 0",
    "intr 1 2 3",
  ].join("\n");
  expect(parseCoreTimes(stat, "0")).toEqual({
    totalMicros: ticksToMicros(1180),
    busyMicros: ticksToMicros(160),
    interruptsMicros: ticksToMicros(10),
    stealMicros: ticksToMicros(9),
  });
  expect(parseCoreTimes(stat, "1")).toEqual({
    totalMicros: ticksToMicros(2306),
    busyMicros: ticksToMicros(276),
    interruptsMicros: ticksToMicros(25),
    stealMicros: 0,
  });
  expect(() => parseCoreTimes(stat, "2")).toThrow("no line for core 2");
  expect(() => parseCoreTimes("cpu0 1 2 3", "0")).toThrow("unreadable");
});

it("reads this machine's cores: a core's time since a reading advances with the clock", async () => {
  const t0 = performance.now();
  const before = coreTimes("0");
  const t1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const t2 = performance.now();
  const since = coreTimesSince(before, "0");
  const t3 = performance.now();
  // Between the readings the core's clock ran at least t2 - t1 and at most t3 - t0, however long
  // this process waited to run, give or take a few clock ticks: the kernel rounds each field down
  // on its own (once, 32 ticks in a window of 300 ms).
  const slack = ticksToMicros(5);
  expect(since.totalMicros).toBeGreaterThan((t2 - t1) * 1000 - slack);
  expect(since.totalMicros).toBeLessThan((t3 - t0) * 1000 + slack);
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
