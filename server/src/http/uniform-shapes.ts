import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

// Node's HTTP and stream code serves every route, and V8 keeps one inline cache per property
// access there. A cache that has seen more than four hidden classes of its objects goes
// megamorphic: a generic lookup, on the verification path as much as on the mutations'. Objects
// get different hidden classes when they gain their properties in a different order, or when only
// some of them gain one, and the GraphQL route did both to its sockets and requests
// (bench/notes.md, 2026-12-06, thirteenth session). The two functions below give every socket, and
// every request served on node:http, one layout. (Express gives the requests it serves prototypes
// of its own: the playground, GET /graphql, the 404s, seldom on a busy instance.)

/**
 * Reads every connection's peer address as it opens. Node caches it on the socket (`_peername`)
 * at the first read. The GraphQL context reads it before the connection's first answer; a refused
 * verification that comes later on a kept-alive connection reads it after, once the keep-alive
 * timeout has added `timeout`; the cached verification route never reads it: three hidden classes
 * of socket. The price is one getpeername call per connection, paid on every request only by
 * clients that do not keep their connections alive.
 */
export function uniformSockets(server: Server): void {
  server.on("connection", (socket: Socket) => {
    // eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the read is the point: Node caches what it reads
    socket.remoteAddress;
  });
}

/**
 * Gives the request the `body` property that body-parser adds to the GraphQL route's requests
 * (body-parser keeps a `body` it finds and replaces it when it parses one). To be called first
 * for every request.
 */
export function uniformRequest(req: IncomingMessage): void {
  (req as IncomingMessage & { body?: unknown }).body = undefined;
}
