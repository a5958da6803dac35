// A TCP fault proxy between a server under test and MariaDB, standing in for Toxiproxy (no Docker
// here). It forwards bytes unchanged until told to misbehave:
// - cut():       destroys every open connection at once (both sides), as a crashed database or a
//                reset network path would;
// - refuse():    stops listening, so new connections get ECONNREFUSED (the database is down);
// - blackhole(): accepts new connections and never answers (a partition: packets go nowhere);
// - restore():   forwards again, listening on the same port.
import { createServer, connect, type Server, type Socket } from "node:net";

export type ProxyTarget = { host: string; port: number } | { path: string };

export type ProxyMode = "forward" | "refuse" | "blackhole";

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private currentMode: ProxyMode = "forward";
  /** Connections accepted since start, for tests that want to see the pool reconnect. */
  accepted = 0;

  private constructor(
    private readonly target: ProxyTarget,
    readonly host: string,
    public port: number,
  ) {}

  /** Listens on a free loopback port (or `port`) and forwards to `target`. */
  static async start(target: ProxyTarget, { host = "127.0.0.1", port = 0 } = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, host, port);
    await proxy.listen();
    return proxy;
  }

  get mode(): ProxyMode {
    return this.currentMode;
  }

  /** Open client-side connections (each has an upstream twin while forwarding). */
  get connections(): number {
    let clients = 0;
    for (const socket of this.sockets)
      if ((socket as Socket & { keyturnSide?: string }).keyturnSide === "client") clients++;
    return clients;
  }

  /** Destroys every open connection, client and upstream side; returns how many client connections it cut. */
  cut(): number {
    const cut = this.connections;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return cut;
  }

  /** New connections are refused (ECONNREFUSED); open ones are left alone (call cut() too for a crash). */
  async refuse(): Promise<void> {
    this.currentMode = "refuse";
    await this.stopListening();
  }

  /** New connections are accepted and then ignored: nothing is forwarded either way. */
  async blackhole(): Promise<void> {
    this.currentMode = "blackhole";
    if (!this.server) await this.listen();
  }

  /** Forwards again (listening again on the same port if it had stopped). */
  async restore(): Promise<void> {
    this.currentMode = "forward";
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    this.cut();
    await this.stopListening();
  }

  private listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: false }, (client) => {
      this.handle(client);
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        const address = server.address();
        if (typeof address === "object" && address) this.port = address.port;
        this.server = server;
        resolve();
      });
    });
  }

  private stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      // close() waits for open connections; the callback is not needed to refuse new ones.
      server.close(() => undefined);
      resolve();
    });
  }

  private track(socket: Socket, side: "client" | "upstream"): void {
    (socket as Socket & { keyturnSide?: string }).keyturnSide = side;
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    // A destroyed peer surfaces as ECONNRESET/EPIPE here: expected, never fatal to the test process.
    socket.on("error", () => undefined);
  }

  private handle(client: Socket): void {
    this.accepted++;
    this.track(client, "client");
    if (this.currentMode === "blackhole") {
      client.on("data", () => undefined);
      return;
    }
    if (this.currentMode === "refuse") {
      client.destroy();
      return;
    }
    const upstream = "path" in this.target ? connect(this.target.path) : connect(this.target.port, this.target.host);
    this.track(upstream, "upstream");
    client.pipe(upstream);
    upstream.pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  }
}
