import { describe, expect, it } from "@jest/globals";
import { parseWrk } from "./wrk";

// wrk 4.1 (Debian) with --latency, as lib/wrk.ts runs it; the script's done() reports on stderr.
const REPORT = `Running 1s test @ http://127.0.0.1:18999/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   650.97us    1.55ms  25.45ms   93.91%
    Req/Sec    31.27k    16.28k   45.88k    70.00%
  Latency Distribution
     50%  222.00us
     75%  418.00us
     90%    1.37ms
     99%    7.18ms
  30967 requests in 1.00s, 4.90MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec:  30896.93
Transfer/sec:      4.89MB
`;

describe("parseWrk", () => {
  it("reads throughput, the latency percentiles and maximum in ms, refusals, socket errors and counters", () => {
    expect(parseWrk(REPORT, "errors=4\nduplicates=0\n", { connections: 10, seconds: 1 })).toEqual({
      connections: 10,
      seconds: 1,
      requests: 30967,
      rps: 30896.93,
      p50: 0.222,
      p99: 7.18,
      max: 25.45,
      non2xx: 12,
      socketErrors: 6,
      counters: { errors: 4, duplicates: 0 },
    });
  });

  it("refuses a run whose script failed (wrk would have carried on with plain GETs)", () => {
    expect(() =>
      parseWrk(REPORT, "/tmp/keyturn-bench-lua-1/script-1.lua:12: attempt to index a nil value", {
        connections: 10,
        seconds: 1,
      }),
    ).toThrow(/wrk script error/);
  });

  it("refuses output without a result", () => {
    expect(() =>
      parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n", "", { connections: 1, seconds: 1 }),
    ).toThrow(/wrk gave no result/);
  });
});
