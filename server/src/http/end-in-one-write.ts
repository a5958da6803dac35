import type { ServerResponse } from "node:http";

/**
 * Ends `res` with `body`, its head and body in one plain write to the socket. `res.end(body)`
 * corks the socket, queues the response and then an empty chunk, and uncorks: one writev of two
 * buffers through Node's array path, which on the hot paths costs measurably more (bench/notes.md,
 * 2026-12-04). Corked around write(), the response leaves as one string and end() has nothing left
 * to send. A write() before end() is sent chunked unless the length is known: it is set here when
 * the head is still open, and a caller of writeHead() must give it. A response waiting behind a
 * pipelined one has no socket yet, and Node queues it whole.
 */
export function endInOneWrite(res: ServerResponse, body: string): void {
  const socket = res.socket;
  if (!socket) {
    res.end(body);
    return;
  }
  if (!res.headersSent && !res.hasHeader("content-length")) res.setHeader("content-length", Buffer.byteLength(body));
  socket.cork();
  res.write(body);
  socket.uncork();
  res.end();
}
