import { describe, expect, it } from "@jest/globals";
import { locatedError } from "graphql";
import { conflict, forbidden, isInternalError, notFound, unauthenticated } from "./errors";

describe("Keyturn's client errors", () => {
  it("carry their code and message but no stack frames, also once graphql-js locates them", () => {
    for (const error of [
      forbidden("create API secrets"),
      notFound("API secret"),
      conflict("busy"),
      unauthenticated(),
    ]) {
      expect(typeof error.extensions.code).toBe("string");
      expect(error.stack).toBe(`GraphQLError: ${error.message}`);
      expect(locatedError(error, undefined, ["createSecret"]).stack).not.toMatch(/\n\s+at /);
      expect(isInternalError(error)).toBe(false);
    }
  });

  it("leave stack traces on for every other error", () => {
    forbidden("rotate API secrets");
    expect(new Error("a fault").stack).toMatch(/\n\s+at /);
  });
});
