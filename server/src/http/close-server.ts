import type { Server } from "node:http";

const IDLE_SWEEP_MS = 50;

/**
 * Stops accepting connections and resolves once every request in flight has been answered; after
 * `graceMs`, whatever is still open is cut. Keep-alive connections are closed as soon as they sit
 * idle (Node's close() only closes those idle at the moment it is called). This replaces Apollo's
 * drain plugin, which listens to every request to track it — the verification hot path included.
 */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const sweep = setInterval(() => {
      server.closeIdleConnections();
    }, IDLE_SWEEP_MS);
    const cut = setTimeout(() => {
      server.closeAllConnections();
    }, graceMs);
    server.close((error) => {
      clearInterval(sweep);
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
