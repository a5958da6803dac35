import { describe, expect, it } from "@jest/globals";
import { CombinedGraphQLErrors } from "@apollo/client";
import { describeError } from "./errors";
import { englishMessages } from "./localization";

function graphQLError(code: string | undefined, message = "from the server") {
  return new CombinedGraphQLErrors({ data: null, errors: [{ message, extensions: code ? { code } : {} }] });
}

describe("describeError", () => {
  it("maps server codes to localizable messages", () => {
    expect(describeError(graphQLError("LIMIT_EXCEEDED"), englishMessages)).toBe(englishMessages.errorLimitExceeded);
    expect(describeError(graphQLError("FORBIDDEN"), englishMessages)).toBe(englishMessages.errorForbidden);
    expect(describeError(graphQLError("NOT_FOUND"), englishMessages)).toBe(englishMessages.errorForbidden);
    expect(describeError(graphQLError("UNAUTHENTICATED"), englishMessages)).toBe(englishMessages.errorUnauthenticated);
    expect(describeError(graphQLError("LIMIT_EXCEEDED"), { ...englishMessages, errorLimitExceeded: "Limit!" })).toBe(
      "Limit!",
    );
  });

  it("asks to wait as long as the server says when it is rate-limited", () => {
    const limited = new CombinedGraphQLErrors({
      data: null,
      errors: [{ message: "slow down", extensions: { code: "TOO_MANY_REQUESTS", retryAfterSeconds: 42 } }],
    });
    expect(describeError(limited, englishMessages)).toBe("Too many changes in a short time. Try again in 42 s.");
  });

  it("says the service is briefly unavailable, not that something broke", () => {
    expect(describeError(graphQLError("SERVICE_UNAVAILABLE", "The database is unavailable"), englishMessages)).toBe(
      englishMessages.errorUnavailable,
    );
  });

  it("keeps the server's wording for input errors, which names the field", () => {
    expect(describeError(graphQLError("BAD_USER_INPUT", "Name must not be empty."), englishMessages)).toBe(
      "Name must not be empty.",
    );
    expect(describeError(graphQLError("CONFLICT", "Already revoked."), englishMessages)).toBe("Already revoked.");
  });

  it("says something generic for anything else, never internals", () => {
    expect(describeError(graphQLError("INTERNAL_SERVER_ERROR", "SQLITE_BUSY"), englishMessages)).toBe(
      englishMessages.errorGeneric,
    );
    expect(describeError(graphQLError(undefined), englishMessages)).toBe(englishMessages.errorGeneric);
    expect(describeError(new TypeError("Failed to fetch"), englishMessages)).toBe(englishMessages.errorGeneric);
  });
});
