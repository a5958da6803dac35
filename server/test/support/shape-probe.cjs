// Preloaded into a server under test (NODE_OPTIONS=--require): it keeps every HTTP request the
// server receives, with its socket, and on SIGUSR2 writes to ./shapes.json how many hidden classes
// (V8 maps) those requests and sockets have, and which paths each one served. Node's HTTP and
// stream code is shared by every route; an inline cache there that has seen more than four maps of
// its objects goes megamorphic, a slower generic lookup, on the verification path too
// (server/src/http/uniform-shapes.ts).
"use strict";
const { subscribe } = require("node:diagnostics_channel");
const { renameSync, writeFileSync } = require("node:fs");
const v8 = require("node:v8");

// V8's own answer, compiled while its natives syntax is allowed and then disallowed again.
v8.setFlagsFromString("--allow-natives-syntax");
const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)");
v8.setFlagsFromString("--no-allow-natives-syntax");

const served = [];
subscribe("http.server.request.start", ({ request, socket }) => {
  served.push({ path: request.url.split("?")[0], request, socket });
});

/** The objects grouped by map: for each group, the paths its objects served. */
function shapes(kind) {
  const groups = [];
  for (const entry of served) {
    const object = entry[kind];
    const group = groups.find((candidate) => haveSameMap(candidate.object, object));
    if (group) group.paths.add(entry.path);
    else groups.push({ object, paths: new Set([entry.path]) });
  }
  return groups.map(({ paths }) => [...paths].sort());
}

process.on("SIGUSR2", () => {
  // Renamed into place, so that a reader never sees it half written.
  writeFileSync("shapes.json.part", JSON.stringify({ sockets: shapes("socket"), requests: shapes("request") }));
  renameSync("shapes.json.part", "shapes.json");
});
