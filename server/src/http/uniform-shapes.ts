import type { IncomingMessage, Server } from "node:http";
import type { Socket } from "node:net";

// Node's HTTP and stream code serves every route, and V8 keeps one inline cache per property
// access there. A cache that has seen more than four hidden classes of its objects goes
// megamorphic: a generic lookup, on the verification path as much as on the mutations'. Objects
// get different hidden classes when they gain the same properties in a different order, and the
// GraphQL route gave its sockets and requests orders of their own (bench/notes.md, 2026-12-06,
// thirteenth session). The two functions below give every socket and request the same order.

/**
 * Reads every connection's peer address as it opens. Node caches it on the socket (`_peername`)
 * at the first read: the GraphQL context reads it before the first answer, a refused verification
 * after it, and the cached verification route never, which made three hidden classes of socket.
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
