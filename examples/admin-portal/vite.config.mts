import { defineConfig } from "vite";

/** Builds the Security tab's browser code into dist/client, served at /portal/assets. */
export default defineConfig({
  base: "/portal/assets/",
  oxc: { jsx: { runtime: "automatic" } },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: "dist/client",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    rolldownOptions: {
      input: { security: "client/security.tsx" },
      output: { entryFileNames: "[name].js", assetFileNames: "[name][extname]" },
      onLog(level, log, handler) {
        if (log.code !== "MODULE_LEVEL_DIRECTIVE") handler(level, log);
      },
    },
  },
});
