// What each function that reaches the top of the cached path's CPU profile is, and what was done
// about it: the report's profile table carries these beside the self times, so that every top cost
// of every run is answered (the goal 8). The cost table in bench/summary.md has the
// measurements behind them.

const NODE_HTTP =
  "Node's HTTP server and socket code, which the bare server runs too: nothing of Keyturn's to take out.";
const BASIC_DECODE =
  "The `Authorization` header's decode: the scheme and the base64 alphabet checked code by code (a regular expression until 2026-12-06), one base64 decode, the Key ID and the secret read from its bytes.";
const VERIFIER =
  "The verifier asks the cache first: a hit skips both CRC-32 checks and answers synchronously, with no promise.";

const NOTES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^writeUtf8String$/,
    "The reply's write syscall, which the bare server pays too. A turn's replies are written together after its I/O, each as one plain write.",
  ],
  [
    /^hash node:internal\/crypto\/hash/,
    "The keyed hash (HMAC-SHA-256 under the pepper) as one-shot SHA-256 calls over padded keys built once; a verified entry keeps the inner hash, so a check hashes once.",
  ],
  [
    /^\(garbage collector\)$/,
    "Allocations per request cut: digests as binary strings, each cache entry one flat string, refusals shared frozen objects.",
  ],
  [/lru-cache/, "The cache's own LRU bookkeeping (lru-cache); an entry is one flat string of ≈ 240 B with its key."],
  [/^sameDigest /, "The constant-time comparison: a branch-free XOR over the two digests' 32 bytes (3.3 → 1.1 µs)."],
  [/^(check|verify) server\/dist\/verification\/verifier\.js/, VERIFIER],
  [/^handleVerification /, "Dispatch ahead of Express: one `Map` lookup by path, no framework."],
  [
    /^(reportRoute|check) server\/dist\/verification\/verification\.routes\.js/,
    "The route's own steps; the rate-limit check returns at once while nobody is blocked.",
  ],
  [
    /^settle server\/dist\/verification\/verification\.routes\.js/,
    "The outcome's count (a plain addition, added to prom-client's counter at each scrape); a refusal's failures are summed per turn for the rate limiter.",
  ],
  [
    /^\(anonymous\) server\/dist\/verification\/verification\.routes\.js|^(NextTurnQueue\.)?handOver server\/dist\/next-turn-batch\.js/,
    "The turn's replies (`NextTurnQueue`), written together after the turn's I/O.",
  ],
  [
    /^push server\/dist\/next-turn-batch\.js/,
    "A reply joining its turn's queue (`NextTurnQueue.push`): one array push, and for the turn's first reply one `setImmediate`.",
  ],
  [
    /^entry server\/dist\/next-turn-batch\.js/,
    "A turn's batch by key (`NextTurnBatch.entry`): until 2026-12-06 each reply joined one, a `Map` keyed by response; now a refusal's count for the rate limiter and an uncached lookup do.",
  ],
  [
    /^record server\/dist\/verification\/last-used-recorder\.js/,
    "The last use, noted in memory per Key ID and written every 2 s in a few statements (500 ids each).",
  ],
  [
    /^send server\/dist\/verification\/verification\.routes\.js/,
    "The reply: one `writeHead` with its headers as a flat list (a fixed reply's built once), its body in the same write.",
  ],
  [/^reportJson /, "The body built as text, each string through `JSON.stringify`."],
  [/^basic(Credentials|Token) |^isBase64 |^RegExp: \^Basic |^base64Write$/, BASIC_DECODE],
  [
    /^(slice|toString|from) node:buffer:/,
    "Node's `Buffer` code: on the Basic route the header's decode (one `Buffer.from`, the Key ID and the secret read from its bytes); on `POST /v1/verify` the body's bytes as text.",
  ],
  [
    /^unpack server\/dist\/verification\/packed-credential\.js/,
    "The cache entry read in place: the expiry digit by digit, the digest sliced as a string.",
  ],
  [
    /^EventEmitter\.init node:events/,
    "Node's `EventEmitter` constructor, run for every request and response. In an instance that has also served changes, its inline caches have seen mysql2's command objects too and are megamorphic (bench/notes.md, 2026-12-06, thirteenth session); the requests of every route have one shape (`server/src/http/uniform-shapes.ts`), mysql2's objects are not among them.",
  ],
  [/node:_http_|node:events|node:internal\/stream|node:net|^RegExp: \^\[\\\^_`/, NODE_HTTP],
  [
    /node:internal\/process\/task_queues/,
    "Node's microtask and next-tick queues. A cached answer adds no promise; what is left is Node's own.",
  ],
  [/^\(anonymous\)$/, "Native or inlined code the profiler cannot name."],
];

/** What a profile row is and what was done about it, or an em dash for a function not seen before. */
export function profileNote(name: string): string {
  return NOTES.find(([pattern]) => pattern.test(name))?.[1] ?? "—";
}
