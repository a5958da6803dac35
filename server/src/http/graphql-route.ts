import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { endInOneWrite } from "./end-in-one-write";
import { runMiddleware, type Middleware } from "./middleware";

export interface GraphQLRouteOptions<TContext extends BaseContext> {
  /** Run in order before Apollo; each must call next() or answer. */
  middleware: readonly Middleware[];
  context: (req: IncomingMessage, res: ServerResponse) => Promise<TContext>;
  /** Answers a failure passed to next() (body-parser's 400 and 413) or thrown on the way. */
  onError: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

export interface GraphQLRoute {
  /** The middleware, then Apollo: for node:http, no router in between. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Apollo alone, for a router that has run the middleware itself. */
  execute: Middleware;
}

/**
 * Apollo Server on node:http through its own HTTP entry point (executeHTTPGraphQLRequest), and
 * `handle`, which runs the same middleware functions Express would, in order, without Express's
 * router: it cost about a third of a createSecret's CPU time (bench/notes.md).
 */
export function graphqlRoute<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  { middleware, context, onError }: GraphQLRouteOptions<TContext>,
): GraphQLRoute {
  const execute = async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const url = req.url ?? "";
    const query = url.indexOf("?");
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers,
        search: query < 0 ? "" : url.slice(query),
        body: req.body,
      },
      context: () => context(req, res),
    });
    // Incremental delivery (@defer) needs graphql 17; with graphql 16 every answer is complete.
    if (response.body.kind !== "complete") throw new Error("Incremental GraphQL delivery is not supported");
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    endInOneWrite(res, response.body.string);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const fail = (error: unknown) => onError(error, req, res);
    runMiddleware(middleware, req, res, () => void execute(req, res).catch(fail), fail);
  };
  return {
    handle,
    execute: (req, res, next) => {
      execute(req, res).catch(next);
    },
  };
}
