import { resolve } from "node:path";
import { defineConfig } from "vite";

const peers = [/^react($|\/)/, /^react-dom($|\/)/, /^@apollo\/client($|\/)/, /^graphql($|\/)/, /^rxjs($|\/)/];

/**
 * Two builds from one config:
 * - `vite build` — the library (dist/index.js): ESM, peers left to the host's bundler.
 * - `vite build --mode element` — dist/element.js: the custom element for portals without React or
 *   a bundler, with React, Apollo Client and the stylesheet inside.
 */
export default defineConfig(({ mode }) => {
  const element = mode === "element";
  return {
    resolve: { alias: { "@keyturn/shared": resolve(import.meta.dirname, "../shared/src/index.ts") } },
    define: element ? { "process.env.NODE_ENV": JSON.stringify("production") } : {},
    oxc: { jsx: { runtime: "automatic" } },
    build: {
      outDir: "dist",
      emptyOutDir: !element,
      sourcemap: true,
      // Shipped minified: the size budget (scripts/size.mjs) is measured on exactly what hosts get.
      minify: true,
      target: "es2022",
      lib: {
        entry: resolve(import.meta.dirname, element ? "src/element.ts" : "src/index.ts"),
        formats: ["es"],
        fileName: () => (element ? "element.js" : "index.js"),
      },
      rolldownOptions: {
        external: element ? [] : peers,
        // Radix marks its modules "use client"; bundled, that is moot (the library banner carries it).
        onLog(level, log, handler) {
          if (log.code !== "MODULE_LEVEL_DIRECTIVE") handler(level, log);
        },
        // Vite leaves whitespace in ES library output by default; hosts get it fully minified.
        // The element runs nearly all of its code on the first render, so it asks V8 to compile
        // every function while the script loads (explicit compile hints, Chromium ≥ 136) rather than
        // one by one when the list arrives; other engines read a comment.
        output: {
          banner: element ? "" : '"use client";',
          postBanner: element ? "//# allFunctionsCalledOnLoad" : "",
          minify: true,
        },
      },
    },
  };
});
