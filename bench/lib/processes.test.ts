import { expect, it } from "@jest/globals";
import { cpuMicros } from "./processes";

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
