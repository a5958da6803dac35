import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import type { FormattedExecutionResult } from "graphql";
import { from, mergeMap, of, type Observable } from "rxjs";

/** How the widget reaches a Keyturn server when the host does not hand it an ApolloClient. */
export interface EndpointConnection {
  /** The Keyturn GraphQL endpoint, e.g. "https://keys.example.com/graphql". */
  endpoint: string;
  /**
   * Resolves to a short-lived host token for the signed-in administrator (usually fetched from the
   * host's own backend). Called once, and again whenever the server answers UNAUTHENTICATED.
   */
  getAccessToken: () => Promise<string>;
}

/** Remembers the current token and fetches a new one only when the server has refused it. */
class TokenSource {
  private current: Promise<string> | null = null;

  constructor(private readonly fetchToken: () => Promise<string>) {}

  get(): Promise<string> {
    this.current ??= this.load();
    return this.current;
  }

  /** A fresh token, unless another request already replaced the refused one. */
  async refresh(refused: string): Promise<string> {
    const pending = this.current;
    const current = pending ? await pending.catch(() => null) : null;
    // Requests refused together all wait above: the first to resume starts the refresh, the others share it.
    if (this.current && this.current !== pending) return this.current;
    if (current !== null && current !== refused) return current;
    this.current = this.load();
    return this.current;
  }

  private load(): Promise<string> {
    const loading = this.fetchToken();
    loading.catch(() => {
      if (this.current === loading) this.current = null;
    });
    return loading;
  }
}

function isUnauthenticated(result: FormattedExecutionResult): boolean {
  return result.errors?.some((error) => error.extensions?.code === "UNAUTHENTICATED") ?? false;
}

/**
 * Adds `Authorization: Bearer <token>` and, when the server answers UNAUTHENTICATED, asks the host
 * for a new token and retries the operation once.
 */
export function authLink(getAccessToken: () => Promise<string>): ApolloLink {
  const tokens = new TokenSource(getAccessToken);
  return new ApolloLink((operation, forward) => {
    const send = (token: string): Observable<FormattedExecutionResult> => {
      operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({
        headers: { ...headers, authorization: `Bearer ${token}` },
      }));
      return forward(operation);
    };
    return from(tokens.get()).pipe(
      mergeMap((token) =>
        send(token).pipe(
          mergeMap((result) =>
            isUnauthenticated(result) ? from(tokens.refresh(token)).pipe(mergeMap(send)) : of(result),
          ),
        ),
      ),
    );
  });
}

/** An ApolloClient of the widget's own, for hosts that pass `endpoint` + `getAccessToken`. */
export function createKeyturnClient(
  { endpoint, getAccessToken }: EndpointConnection,
  fetchImpl: typeof fetch = (...args) => fetch(...args),
): ApolloClient {
  return new ApolloClient({
    link: ApolloLink.from([authLink(getAccessToken), new HttpLink({ uri: endpoint, fetch: fetchImpl })]),
    cache: new InMemoryCache({ typePolicies: { ProjectAccess: { keyFields: ["projectId"] } } }),
  });
}
