import type { IncomingMessage, ServerResponse } from "node:http";
import helmet, { type HelmetOptions } from "helmet";
import type { Middleware } from "./middleware";

/**
 * Keyturn's helmet options: security headers everywhere, and no Content-Security-Policy, which the
 * pages that need one set for themselves (the playground runs inline scripts, the demo portal has a
 * stricter one).
 */
export const SECURITY_HEADER_OPTIONS = { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false } as const;

/** One of helmet's steps: a header set to a value, or removed (`value` undefined). */
type HeaderStep = readonly [name: string, value: string | undefined];

/**
 * helmet's headers, asked of helmet once and then set on each response. Without a
 * Content-Security-Policy they depend on the options alone, never on the request, and running
 * helmet's twelve middleware functions per request cost a rotation through GraphQL 3–5 % more of
 * the server's CPU than setting the same headers from a list (bench/notes.md, 2026-12-06,
 * fourteenth session).
 *
 * Refuses the option a per-request header needs (a CSP, whose nonces may be functions of the
 * request), and a helmet that reads, writes, looks for, defines or deletes a property of the
 * request, or of the response other than setHeader and removeHeader, or does not finish at once.
 */
export function securityHeaders(options: HelmetOptions = SECURITY_HEADER_OPTIONS): Middleware {
  if (options.contentSecurityPolicy !== false) {
    throw new Error("securityHeaders: a Content-Security-Policy may depend on the request; set it per page");
  }
  const steps = recordedSteps(helmet(options));
  return (_req, res, next) => {
    for (const [name, value] of steps) {
      if (value === undefined) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    next();
  };
}

function recordedSteps(middleware: Middleware): readonly HeaderStep[] {
  const steps: HeaderStep[] = [];
  const methods: Record<string, unknown> = {
    setHeader(name: string, value: unknown) {
      if (typeof value !== "string") throw new Error(`securityHeaders: ${name} is not a fixed string`);
      steps.push([name, value]);
    },
    removeHeader(name: string) {
      steps.push([name, undefined]);
    },
  };
  // Any other read, write, `in`, definition or deletion on either throws here, at start-up.
  const only = (allowed: Record<string, unknown>, what: string) => {
    const refuse = (use: string) => (_target: unknown, property: string | symbol) => {
      throw new Error(`securityHeaders: helmet would ${use} the ${what}'s ${String(property)}`);
    };
    return new Proxy<Record<string, unknown>>(allowed, {
      get(target, property) {
        if (typeof property === "string" && Object.hasOwn(target, property)) return target[property];
        return refuse("read")(target, property);
      },
      has: refuse("look for"),
      set: refuse("write"),
      defineProperty: refuse("define"),
      deleteProperty: refuse("delete"),
    });
  };
  // Set in the callback, which TypeScript does not see run.
  let finished = false as boolean;
  middleware(
    only({}, "request") as unknown as IncomingMessage,
    only(methods, "response") as unknown as ServerResponse,
    (error?: unknown) => {
      if (error !== undefined && error !== null) throw new Error("securityHeaders: helmet failed", { cause: error });
      finished = true;
    },
  );
  if (!finished) throw new Error("securityHeaders: helmet did not finish at once");
  return Object.freeze(steps);
}
