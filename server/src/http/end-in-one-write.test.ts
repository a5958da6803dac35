import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "@jest/globals";
import { endInOneWrite } from "./end-in-one-write";

interface Answered {
  headers: IncomingHttpHeaders;
  body: string;
  /** The socket writes the server made for the response: [single writes, writevs]. */
  writes: [number, number];
}

/** One request to a server that answers it with `answer`, counting the server socket's writes. */
async function answeredBy(answer: (res: ServerResponse) => void): Promise<Answered> {
  const writes: [number, number] = [0, 0];
  const server = createServer((_req, res) => {
    // Node's stream internals: one plain write goes through _write, a batch through _writev.
    const socket = res.socket as unknown as Record<"_write" | "_writev", (...args: unknown[]) => void>;
    const write = socket._write.bind(socket);
    const writev = socket._writev.bind(socket);
    socket._write = (...args) => {
      writes[0]++;
      write(...args);
    };
    socket._writev = (...args) => {
      writes[1]++;
      writev(...args);
    };
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const { headers, body } = await new Promise<Omit<Answered, "writes">>((resolve, reject) => {
      request({ host: "127.0.0.1", port, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ headers: res.headers, body: text }));
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    });
    return { headers, body, writes };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("endInOneWrite", () => {
  const body = JSON.stringify({ data: { greeting: "héllo" } });

  it("sends headers set before it and the body in one write, with the body's length", async () => {
    const answered = await answeredBy((res) => {
      res.setHeader("content-type", "application/json");
      endInOneWrite(res, body);
    });
    expect(answered.body).toBe(body);
    expect(answered.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(answered.headers["transfer-encoding"]).toBeUndefined();
    expect(answered.writes).toEqual([1, 0]);
  });

  it("sends a head given to writeHead and the body in one write", async () => {
    const answered = await answeredBy((res) => {
      res.writeHead(201, ["content-type", "application/json", "content-length", String(Buffer.byteLength(body))]);
      endInOneWrite(res, body);
    });
    expect(answered.body).toBe(body);
    expect(answered.writes).toEqual([1, 0]);
  });

  it("is what res.end(body) is not: that batches the response and an empty chunk in a writev", async () => {
    const answered = await answeredBy((res) => {
      res.setHeader("content-type", "application/json");
      res.end(body);
    });
    expect(answered.body).toBe(body);
    expect(answered.writes).toEqual([0, 1]);
  });
});
