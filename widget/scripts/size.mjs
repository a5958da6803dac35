// Prints the widget's size as hosts receive it (minified, gzip -9) and fails over budget.
// Peers (react, react-dom, @apollo/client, graphql, rxjs) are not in dist/index.js, so not counted.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 25 * 1024;
const dist = (file) => readFileSync(new URL(`../dist/${file}`, import.meta.url));
const gz = (buffer) => gzipSync(buffer, { level: 9 }).length;
// The stylesheet ships readable; measure it as a host's CSS minifier would leave it.
const minifiedCss = dist("styles.css")
  .toString()
  .replace(/\/\*[\s\S]*?\*\//g, "")
  .replace(/\s+/g, " ")
  .replace(/\s*([{}:;,>])\s*/g, "$1");

const js = gz(dist("index.js"));
const css = gz(Buffer.from(minifiedCss));
const element = gz(dist("element.js"));
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;

console.log(`dist/index.js      ${kb(js)} min+gzip (peers excluded)`);
console.log(`dist/styles.css    ${kb(css)} min+gzip`);
console.log(`library total      ${kb(js + css)} of a ${kb(BUDGET)} budget`);
console.log(`dist/element.js    ${kb(element)} min+gzip (standalone: React, Apollo Client and styles inside)`);
if (js + css > BUDGET) {
  console.error(`Over budget by ${kb(js + css - BUDGET)}`);
  process.exit(1);
}
