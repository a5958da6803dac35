import { describe, expect, it } from "@jest/globals";
import { profileNote } from "./profile-notes";

// Every function that reached the top 20 of the cached path's profile in the fifteen committed
// runs before these notes, as the report names them (line numbers vary with Node's version).
const SEEN = [
  "writeUtf8String",
  "hash node:internal/crypto/hash:221",
  "(garbage collector)",
  "#L server/node_modules/lru-cache/dist/commonjs/node/index.min.js:1",
  "sameDigest server/dist/verification/secret-hasher.js:78",
  "check server/dist/verification/verifier.js:38",
  "verify server/dist/verification/verifier.js:20",
  "handleVerification server/dist/verification/verification.routes.js:136",
  "reportRoute server/dist/verification/verification.routes.js:97",
  "check server/dist/verification/verification.routes.js:150",
  "settle server/dist/verification/verification.routes.js:114",
  "(anonymous) server/dist/verification/verification.routes.js:70",
  "record server/dist/verification/last-used-recorder.js:27",
  // First in the top 20 on 2026-12-05 (ninth session).
  "entry server/dist/next-turn-batch.js:15",
  "send server/dist/verification/verification.routes.js:191",
  "reportJson server/dist/verification/verification-bodies.js:17",
  "basicCredentials server/dist/verification/verification.routes.js:178",
  "RegExp: ^Basic +([A-Za-z0-9+/]+={0,2}) *$",
  "base64Write",
  "unpack server/dist/verification/packed-credential.js:40",
  "EventEmitter.init node:events:347",
  "emit node:events:470",
  "parserOnIncoming node:_http_server:1026",
  "writeHead node:_http_server:352",
  "parserOnHeadersComplete node:_http_common:71",
  "_addHeaderLine node:_http_incoming:382",
  "_storeHeader node:_http_outgoing:409",
  "handleWriteReq node:internal/stream_base_commons:46",
  "writeGeneric node:internal/stream_base_commons:147",
  "createWriteWrap node:internal/stream_base_commons:100",
  "clearBuffer node:internal/streams/writable:743",
  "nextTick node:internal/process/task_queues:103",
  "processTicksAndRejections node:internal/process/task_queues:67",
  "RegExp: ^[\\^_`a-zA-Z\\-0-9!#$%&'*+.|~]+$",
  "(anonymous)",
  // Not yet in a committed profile's top 20: the functions of 2026-12-06's code that may reach it
  // (the Basic header read code by code, the replies queued in an array), and two that did.
  "basicToken server/dist/verification/basic-credentials.js:39",
  "isBase64 server/dist/verification/basic-credentials.js:64",
  "handOver server/dist/next-turn-batch.js:41",
  "push server/dist/next-turn-batch.js:36",
  "basicCredentials server/dist/verification/basic-credentials.js:23",
  "slice node:buffer:635",
  // First in the top 20 on 2026-12-06 (fifteenth session), named with its class.
  "NextTurnQueue.handOver server/dist/next-turn-batch.js:41",
];

describe("the profile's notes", () => {
  it("say what was done about every function the profile has put in its top 20", () => {
    expect(SEEN.filter((name) => profileNote(name) === "—")).toEqual([]);
  });

  it("tell Keyturn's code from Node's and a function never seen from both", () => {
    expect(profileNote("sameDigest server/dist/verification/secret-hasher.js:78")).toMatch(/XOR/);
    expect(profileNote("parserOnIncoming node:_http_server:1026")).toMatch(/bare server runs too/);
    expect(profileNote("check server/dist/verification/verifier.js:38")).toMatch(/cache first/);
    expect(profileNote("check server/dist/verification/verification.routes.js:150")).toMatch(/rate-limit/);
    expect(profileNote("somethingNew server/dist/verification/new.js:1")).toBe("—");
  });
});
