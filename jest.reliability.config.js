// Reliability suite (`npm run test:reliability`): concurrency, faults and revocation across
// instances, measured on real server processes (server/dist/main.js, built first by the script)
// sharing one MariaDB database, with a TCP fault proxy and a dedicated redis-server. MariaDB-only
// (TEST_MYSQL_URL) and slow, so kept out of `npm test`; run in band, one scenario at a time.
const { projects } = require("./jest.config.js");

const server = projects.find((project) => project.displayName === "server");

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120_000,
  projects: [
    {
      ...server,
      displayName: "reliability",
      testMatch: ["<rootDir>/test/reliability/**/*.reliability.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "/dist/"],
      testTimeout: 120_000,
    },
  ],
};
