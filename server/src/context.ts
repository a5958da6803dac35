import type { Logger } from "pino";
import type { Actor } from "./auth/actor";
import type { Authentication } from "./auth/host-token-verifier";
import type { Principal } from "./auth/principal";
import { unauthenticated } from "./errors";

/** Per-request GraphQL context: who is calling (if anyone), from where, and the request's logger. */
export interface Context {
  authentication: Authentication;
  ip: string | null;
  userAgent: string | null;
  /** The request's logger (http/request-log.ts): every line carries its id. */
  log: Logger;
}

/**
 * A request's context, whose logger is made when a line is first logged on it. The accessor is
 * the class's, not the object's: Apollo copies the context's own properties for each operation,
 * and an own getter would be read, the logger made, by that copy.
 */
export class RequestContext implements Context {
  constructor(
    readonly authentication: Authentication,
    readonly ip: string | null,
    readonly userAgent: string | null,
    private readonly logger: () => Logger,
  ) {}

  get log(): Logger {
    return this.logger();
  }
}

/** Every Keyturn operation needs a valid host token; call this first. */
export function requirePrincipal(context: Context): Principal {
  if (context.authentication.status !== "AUTHENTICATED") throw unauthenticated();
  return context.authentication.principal;
}

export function actorOf(context: Context): Actor {
  return { principal: requirePrincipal(context), ip: context.ip, userAgent: context.userAgent };
}
