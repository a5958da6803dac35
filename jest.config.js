// One jest run for every workspace. Tests are compiled by swc (fast, no type-check: `npm run
// typecheck` does that) with legacy decorators and their metadata, which type-graphql and TypeORM need.
const swc = [
  "@swc/jest",
  {
    jsc: {
      parser: { syntax: "typescript", decorators: true },
      target: "es2022",
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: "commonjs" },
  },
];

const workspace = (name, extra = {}) => ({
  displayName: name,
  rootDir: `<rootDir>/${name}`,
  testEnvironment: "node",
  testMatch: ["<rootDir>/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  // jose ships only ES modules; Node 20 loads them with require(), jest needs them compiled.
  transform: { "^.+\\.tsx?$": swc, "/node_modules/jose/.+\\.js$": swc },
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  moduleNameMapper: { "^@keyturn/shared$": "<rootDir>/../shared/src/index.ts" },
  ...extra,
});

const swcReact = [
  "@swc/jest",
  {
    jsc: {
      parser: { syntax: "typescript", tsx: true },
      target: "es2022",
      transform: { react: { runtime: "automatic" } },
    },
    module: { type: "commonjs" },
  },
];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    workspace("shared"),
    // The bench's own helpers (parsing wrk, percentiles); the bench itself runs with `npm run bench`.
    workspace("bench"),
    // The reliability suite is slow and MariaDB-only: `npm run test:reliability` runs it.
    workspace("server", { testPathIgnorePatterns: ["/node_modules/", "/dist/", "/reliability/"] }),
    workspace("widget", {
      testEnvironment: "<rootDir>/test/jsdom-environment.cjs",
      testMatch: ["<rootDir>/src/**/*.test.{ts,tsx}", "<rootDir>/test/**/*.test.{ts,tsx}"],
      testPathIgnorePatterns: ["/node_modules/", "/dist/", "\\.browser\\.test\\."],
      transform: { "^.+\\.tsx?$": swcReact },
      moduleNameMapper: {
        "^@keyturn/shared$": "<rootDir>/../shared/src/index.ts",
        "\\.css(\\?inline)?$": "<rootDir>/test/style-stub.cjs",
      },
    }),
  ],
};
