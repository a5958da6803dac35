import { CombinedGraphQLErrors } from "@apollo/client";
import type { Messages } from "./localization";

/**
 * The sentence to show for a failed operation. Server codes map to localised messages; input
 * errors keep the server's own wording, which names the field.
 */
export function describeError(error: unknown, messages: Messages): string {
  if (!CombinedGraphQLErrors.is(error)) return messages.errorGeneric;
  const [first] = error.errors;
  switch (first?.extensions?.code) {
    case "LIMIT_EXCEEDED":
      return messages.errorLimitExceeded;
    case "FORBIDDEN":
    case "NOT_FOUND":
      return messages.errorForbidden;
    case "UNAUTHENTICATED":
      return messages.errorUnauthenticated;
    case "TOO_MANY_REQUESTS": {
      const seconds = first.extensions.retryAfterSeconds;
      return messages.errorTooManyRequests(typeof seconds === "number" ? seconds : 60);
    }
    case "SERVICE_UNAVAILABLE":
      return messages.errorUnavailable;
    case "BAD_USER_INPUT":
    case "CONFLICT":
      return first.message;
    default:
      return messages.errorGeneric;
  }
}
