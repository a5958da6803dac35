// End-to-end suite (`npm run test:e2e`): the product started as `npm start` starts it, with the demo
// admin portal driven in headless Debian Chromium by playwright-core. Kept out of `npm test`, which
// needs no browser; `npm run test:e2e` builds first, since the suite runs the built product.
const { projects } = require("./jest.config.js");

const server = projects.find((project) => project.displayName === "server");

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: "e2e",
      rootDir: __dirname,
      testEnvironment: "node",
      testMatch: ["<rootDir>/e2e/**/*.e2e.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "/dist/"],
      transform: { "^.+\\.tsx?$": server.transform["^.+\\.tsx?$"] },
    },
  ],
};
