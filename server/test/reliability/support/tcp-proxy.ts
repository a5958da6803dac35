// A TCP fault proxy between a server under test and MariaDB (or Redis), standing in for Toxiproxy
// (no Docker here). It forwards bytes unchanged until told to misbehave:
// - cut():       destroys every open connection at once (both sides), as a crashed database or a
//                reset network path would;
// - refuse():    stops listening, so new connections get ECONNREFUSED (the database is down);
// - blackhole(): accepts new connections and never answers (a partition: packets go nowhere);
// - deafenSubscribers(): connections that subscribed to a Redis channel hear nothing more and stay
//                open, as a half-open subscription would (its client still thinks it is listening);
// - restore():   forwards again, listening on the same port.
// - cutAtCommit(): cuts the one connection that commits a change, as its COMMIT is sent (MariaDB
//                never sees it) or once MariaDB has committed (its OK never arrives); optionally
//                the database goes down in the same instant.
import { createServer, connect, type Server, type Socket } from "node:net";
import { Transform } from "node:stream";

export type ProxyTarget = { host: string; port: number } | { path: string };

export type ProxyMode = "forward" | "refuse" | "blackhole";

/** Where cutAtCommit cuts: before the COMMIT reaches MariaDB, or after it, before its answer. */
export type CommitCut = "before-commit" | "before-answer";

// MySQL's client protocol: a packet is a 3-byte length and a sequence byte, then the payload, whose
// first byte names a client's command.
const COM_QUERY = 0x03;
const COM_STMT_EXECUTE = 0x17;
const COMMIT = Buffer.from("COMMIT", "latin1");
// Redis's SUBSCRIBE as clients send it (RESP: a bulk string), in lower case (ioredis) or upper:
// searched in the bytes, so MySQL's traffic through the same proxy is not copied into strings.
const SUBSCRIBE = ["$9\r\nsubscribe\r\n", "$9\r\nSUBSCRIBE\r\n"];

function isSubscribe(chunk: Buffer): boolean {
  return SUBSCRIBE.some((command) => chunk.includes(command));
}

function commandOf(chunk: Buffer): number | undefined {
  return chunk.length > 4 ? chunk[4] : undefined;
}

/** A text COMMIT, as Keyturn sends it: alone, after a procedure call or a transaction's statements. */
function isCommit(chunk: Buffer): boolean {
  return commandOf(chunk) === COM_QUERY && chunk.length === 5 + COMMIT.length && chunk.subarray(5).equals(COMMIT);
}

interface CommitTrap {
  where: CommitCut;
  sprung: () => void;
}

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private currentMode: ProxyMode = "forward";
  private commitTrap: CommitTrap | undefined;
  private deaf = false;
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

  /**
   * Cuts, once, the first connection that sends a COMMIT right after a prepared statement's
   * execution: a change's procedure call, or a transaction's last statement (Database sends both
   * through mysql2's execute), never the last-used flush, whose statements TypeORM sends as text.
   * `before-commit` destroys both sides instead of forwarding the COMMIT; `before-answer` forwards
   * it and destroys both sides when MariaDB's answer arrives, unread. Resolves when the cut is made.
   */
  cutAtCommit(where: CommitCut, { databaseDown = false }: { databaseDown?: boolean } = {}): Promise<void> {
    return new Promise((sprung) => {
      this.commitTrap = {
        where,
        sprung: () => {
          // With databaseDown, the database goes with the answer: every connection is cut, in the
          // same instant, and new ones are refused until restore().
          if (databaseDown) {
            // refuse() changes the mode before it awaits anything: no connection slips in.
            void this.refuse();
            this.cut();
          }
          sprung();
        },
      };
    });
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

  /** From now on, nothing from upstream reaches a client that has sent a Redis SUBSCRIBE. */
  deafenSubscribers(): void {
    this.deaf = true;
  }

  /** Forwards again (listening again on the same port if it had stopped). */
  async restore(): Promise<void> {
    this.currentMode = "forward";
    this.deaf = false;
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
    // Forwarded through two inspectors, for cutAtCommit; otherwise byte for byte.
    let previous: Buffer | undefined;
    let cutOnAnswer: (() => void) | undefined;
    let subscriber = false;
    const cutPair = () => {
      client.destroy();
      upstream.destroy();
    };
    const fromClient = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        const trap = this.commitTrap;
        const before = previous;
        previous = chunk;
        subscriber ||= isSubscribe(chunk);
        if (trap && before && commandOf(before) === COM_STMT_EXECUTE && isCommit(chunk)) {
          this.commitTrap = undefined;
          if (trap.where === "before-commit") {
            cutPair();
            trap.sprung();
            return done();
          }
          cutOnAnswer = () => {
            cutPair();
            trap.sprung();
          };
        }
        done(null, chunk);
      },
    });
    const fromUpstream = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        if (cutOnAnswer) {
          cutOnAnswer();
          return done();
        }
        if (this.deaf && subscriber) return done();
        done(null, chunk);
      },
    });
    client.pipe(fromClient).pipe(upstream);
    upstream.pipe(fromUpstream).pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  }
}
