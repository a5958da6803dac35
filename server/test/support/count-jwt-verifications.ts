import { jest } from "@jest/globals";

// Wraps jose's jwtVerify in a jest.fn that calls the real one, so a test can count verifications.
// A test file imports this first: jest.mock from @jest/globals is not hoisted, so it must run
// before host-token-verifier requires jose.
jest.mock("jose", () => {
  const actual: typeof import("jose") = jest.requireActual("jose");
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});
