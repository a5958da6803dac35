import { createServer } from "node:net";

/**
 * A TCP port free on `host` right now, for a child server to listen on. Shared by the benchmark
 * and every suite that starts servers of its own (the port is released before it is returned, so
 * another process could take it first; on a test machine that has not been seen to happen).
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => {
        done(port);
      });
    });
  });
}
