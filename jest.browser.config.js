// Browser tests (`npm run test:browser`): the built widget in headless Debian Chromium, driven by
// playwright-core, against a real Keyturn server. Kept out of `npm test`, which needs no browser.
const { projects } = require("./jest.config.js");

const widget = projects.find((project) => project.displayName === "widget");

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...widget,
      displayName: "widget-browser",
      testEnvironment: "node",
      testMatch: ["<rootDir>/test/**/*.browser.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "/dist/"],
      // The test signs host tokens with jose, which ships only ES modules.
      transform: { ...widget.transform, "/node_modules/jose/.+\\.js$": widget.transform["^.+\\.tsx?$"] },
    },
  ],
};
