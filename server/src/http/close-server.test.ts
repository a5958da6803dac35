import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "@jest/globals";
import { closeServer } from "./close-server";

/** A server whose requests wait until the test answers them, and a keep-alive client for it. */
async function heldServer() {
  const held: ServerResponse[] = [];
  const arrived: Array<() => void> = [];
  const server = createServer((_req, res) => {
    held.push(res);
    arrived.shift()?.();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true });
  const get = (via = agent) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, agent: via }, (res: IncomingMessage) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  const nextArrival = () => new Promise<void>((resolve) => arrived.push(resolve));
  return { server, agent, held, get, nextArrival };
}

describe("closeServer", () => {
  it("answers the request in flight, closes idle keep-alive connections, then resolves", async () => {
    const { server, agent, held, get, nextArrival } = await heldServer();
    // One keep-alive connection left idle by an answered request (the server must close it: the
    // client never will), and another with a request in flight.
    const idleAgent = new Agent({ keepAlive: true });
    const first = nextArrival();
    const idle = get(idleAgent);
    await first;
    held.shift()?.end("first");
    await idle;
    const second = nextArrival();
    const inFlight = get();
    await second;

    let closed = false;
    const closing = closeServer(server, 10_000).then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(closed).toBe(false);
    expect(server.listening).toBe(false);

    held.shift()?.end("second");
    await closing;
    expect(await inFlight).toEqual({ status: 200, body: "second" });
    agent.destroy();
    idleAgent.destroy();
  });

  it("cuts what is still open once the grace period is over", async () => {
    const { server, agent, get, nextArrival } = await heldServer();
    const arrived = nextArrival();
    const neverAnswered = get();
    await arrived;

    const started = Date.now();
    await closeServer(server, 200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await expect(neverAnswered).rejects.toThrow(/socket hang up/);
    agent.destroy();
  });

  it("resolves at once for a server that is not listening", async () => {
    await expect(closeServer(createServer(), 10_000)).resolves.toBeUndefined();
  });
});
