import { jest } from "@jest/globals";

// Every relative time a row renders goes through formatRelative, so counting its calls shows which
// times re-rendered (Intl's own format is not called again for a phrase already made). A test file
// imports this first: jest.mock from @jest/globals is not hoisted, so it must run before the
// section's modules are required.
jest.mock("../src/localization", () => {
  const actual: typeof import("../src/localization") = jest.requireActual("../src/localization");
  return { ...actual, formatRelative: jest.fn(actual.formatRelative) };
});
