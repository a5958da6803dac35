/**
 * The closed set of `extensions.code` values a Keyturn GraphQL error can carry. Anything else
 * is masked by the server as INTERNAL_SERVER_ERROR.
 */
export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "LIMIT_EXCEEDED",
  "CONFLICT",
  "TOO_MANY_REQUESTS",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_SERVER_ERROR",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
