import { ERROR_CODES, type ErrorCode } from "@keyturn/shared";
import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import { ArgumentValidationError, type MiddlewareFn } from "type-graphql";
import { DatabaseUnavailableError, LockTimeoutError } from "./database/database";
import { RateLimitedError } from "./rate-limits";

/**
 * Keyturn's client errors are built without a stack trace. They are answers, not faults: no client
 * or log ever sees their stack. Capturing it, and formatting it when graphql-js wraps the error
 * with its path, made a refused mutation cost ≈ 7 % more CPU (bench/notes.md).
 */
function keyturnError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // Not `{ ...extensions, code }`: on Node 20 a key added after a spread gives every copy a
    // hidden class of its own (patches/README.md).
    return new GraphQLError(message, { extensions: Object.assign({}, extensions, { code }) });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

export const unauthenticated = (): GraphQLError =>
  keyturnError("UNAUTHENTICATED", "Authentication required: send a valid host token as 'Authorization: Bearer <JWT>'.");

export const forbidden = (action: string): GraphQLError =>
  keyturnError("FORBIDDEN", `You are not allowed to ${action} in this project.`);

export const notFound = (entity: string): GraphQLError => keyturnError("NOT_FOUND", `${entity} not found.`);

export const limitExceeded = (message: string): GraphQLError => keyturnError("LIMIT_EXCEEDED", message);

export const conflict = (message: string): GraphQLError => keyturnError("CONFLICT", message);

export const badCursor = (): GraphQLError =>
  keyturnError("BAD_USER_INPUT", "Invalid input: after must be a cursor from a previous page.", {
    fields: [{ field: "after", message: "after must be a cursor from a previous page." }],
  });

/**
 * Turns the service layer's transport-neutral failures into client errors. Applied to resolver
 * classes with @UseMiddleware, so plain field getters stay synchronous.
 */
export const ClientErrors: MiddlewareFn = async (_action, next) => {
  try {
    return (await next()) as unknown;
  } catch (error) {
    throw toClientError(error);
  }
};

function toClientError(error: unknown): unknown {
  if (error instanceof RateLimitedError) {
    return keyturnError("TOO_MANY_REQUESTS", `Too many changes; try again in ${error.retryAfterSeconds} s.`, {
      retryAfterSeconds: error.retryAfterSeconds,
      http: { headers: new Map([["retry-after", String(error.retryAfterSeconds)]]) },
    });
  }
  if (error instanceof DatabaseUnavailableError) {
    return keyturnError(
      "SERVICE_UNAVAILABLE",
      error.outcome === "unknown"
        ? "The database connection broke while saving, so the change may or may not have been made. Check the list; " +
            "if a secret was rotated, rotate it again to get credentials you can see."
        : "The database is unavailable; nothing was changed. Try again shortly.",
    );
  }
  if (error instanceof LockTimeoutError) return conflict("The API secret is busy with another change; try again.");
  return error;
}

const CLIENT_ERROR_CODES = new Set<string>(ERROR_CODES.filter((code) => code !== "INTERNAL_SERVER_ERROR"));

// Codes graphql-js and Apollo Server produce before execution; their messages describe the request only.
const REQUEST_ERROR_CODES = new Set<string>([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
]);

const MASKED_MESSAGE = "Internal server error.";

// graphql-js names its token limit ("Document contains more that 2000 tokens"), and the position
// of the first token past it: like graphql-armor's limits, neither is echoed to clients.
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more th\w+ \d+ tokens/;

/**
 * Whether an error is masked as internal (driver, SQL, bugs): anything but Keyturn's own errors,
 * request errors and argument validation. Those are logged with their cause (graphql-server.ts).
 */
export function isInternalError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) return false;
  const code = original instanceof GraphQLError ? original.extensions.code : undefined;
  return !(typeof code === "string" && (CLIENT_ERROR_CODES.has(code) || REQUEST_ERROR_CODES.has(code)));
}

/**
 * The single place errors are shaped for clients. Keyturn's own errors and request errors pass
 * through; validation errors are reduced to field + message (no echoed values); internal errors
 * are answered with a fixed message.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) return formatValidationError(formatted, original);
  if (isInternalError(error)) {
    return {
      message: MASKED_MESSAGE,
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  }
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
  if (
    formatted.extensions?.code === ApolloServerErrorCode.GRAPHQL_PARSE_FAILED &&
    TOKEN_LIMIT_MESSAGE.test(formatted.message)
  ) {
    return { message: "Syntax Error: Document is too large.", extensions };
  }
  return { ...formatted, extensions };
}

interface ValidationFailure {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationFailure[];
}

interface FieldMessage {
  field: string;
  message: string;
}

function fieldMessages(failures: ValidationFailure[], parent = ""): FieldMessage[] {
  return failures.flatMap((failure) => {
    const field = parent ? `${parent}.${failure.property}` : failure.property;
    const own = Object.values(failure.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...fieldMessages(failure.children ?? [], field)];
  });
}

function formatValidationError(
  formatted: GraphQLFormattedError,
  error: ArgumentValidationError,
): GraphQLFormattedError {
  const fields = fieldMessages(error.extensions.validationErrors);
  const message = fields.length ? `Invalid input: ${fields.map((f) => f.message).join(" ")}` : "Invalid input.";
  return {
    message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: "BAD_USER_INPUT", fields },
  };
}
