// Fails the run if the mapping in jest.react18.config.js did not take: the tests must see React 18.
const { version } = require("react");
const dom = require("react-dom/package.json").version;

if (!version.startsWith("18.") || !dom.startsWith("18.")) {
  throw new Error(`Expected React 18 for this run, got react ${version} and react-dom ${dom}`);
}
