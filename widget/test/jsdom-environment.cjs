// jsdom, plus the Web platform pieces it lacks and Node 20 has: Apollo's HttpLink needs fetch and
// its Response, and Radix/React use TextEncoder and structuredClone in places.
const { TestEnvironment } = require("jest-environment-jsdom");

const FROM_NODE = [
  "fetch",
  "Request",
  "Response",
  "Headers",
  "TextEncoder",
  "TextDecoder",
  "structuredClone",
  "ReadableStream",
];

class KeyturnJsdomEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of FROM_NODE) {
      if (this.global[name] === undefined) this.global[name] = globalThis[name];
    }
  }
}

module.exports = KeyturnJsdomEnvironment;
