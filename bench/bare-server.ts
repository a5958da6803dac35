// The baseline every figure is divided by: node:http answering 200 with a small JSON body,
// whatever the request. Started by lib/processes.ts on the server core, like Keyturn.
import { createServer } from "node:http";

const body = JSON.stringify({ ok: true });
const port = Number(process.env.PORT);

createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}).listen(port, "127.0.0.1", () => {
  console.log(`listening on ${port}`);
});
