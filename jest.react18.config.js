// The widget's component tests again, with React 18 in place of 19 (`npm run test:react18`): the
// package promises both as peers. React 18 lives in its own fixture, widget/test/react18.
const { projects } = require("./jest.config.js");

const widget = projects.find((project) => project.displayName === "widget");
const react18 = "<rootDir>/test/react18/node_modules";

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...widget,
      displayName: "widget-react18",
      setupFiles: ["<rootDir>/test/react18/assert-react18.cjs"],
      moduleNameMapper: {
        "^react$": `${react18}/react`,
        "^react/(.*)$": `${react18}/react/$1`,
        "^react-dom$": `${react18}/react-dom`,
        "^react-dom/(.*)$": `${react18}/react-dom/$1`,
        ...widget.moduleNameMapper,
      },
    },
  ],
};
