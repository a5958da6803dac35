// Preloaded into a server under test (NODE_OPTIONS=--require): on SIGUSR2 it writes to
// ./prototypes.json which built-in prototypes had fast properties when the process started and
// which of those have lost them since. A prototype in V8's dictionary mode makes every method
// call on its instances a generic property lookup in optimized code: ioredis 6.0's
// `class VerbatimString extends String` did that to String.prototype, and it cost the cached
// verification route ≈ 8 % of its throughput (bench/notes.md, 2026-12-06).
"use strict";
const { renameSync, writeFileSync } = require("node:fs");
const v8 = require("node:v8");

// V8's own answer, compiled while its natives syntax is allowed and then disallowed again.
v8.setFlagsFromString("--allow-natives-syntax");
const hasFastProperties = new Function("object", "return %HasFastProperties(object)");
v8.setFlagsFromString("--no-allow-natives-syntax");

const builtins = {
  Array,
  ArrayBuffer,
  BigInt,
  Boolean,
  Buffer,
  Date,
  Error,
  Function,
  Map,
  Number,
  Object,
  Promise,
  RegExp,
  Set,
  String,
  Symbol,
  Uint8Array,
  WeakMap,
};
const fast = () => Object.keys(builtins).filter((name) => hasFastProperties(builtins[name].prototype));
const fastAtStart = fast();

process.on("SIGUSR2", () => {
  const fastNow = new Set(fast());
  const slowedDown = fastAtStart.filter((name) => !fastNow.has(name));
  // Renamed into place, so that a reader never sees it half written.
  writeFileSync("prototypes.json.part", JSON.stringify({ fastAtStart, slowedDown }));
  renameSync("prototypes.json.part", "prototypes.json");
});
