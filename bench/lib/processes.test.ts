import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "@jest/globals";
import { cpuMicros, imageNodeFlags } from "./processes";

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
