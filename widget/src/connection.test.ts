import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from "@apollo/client";
import { FakeKeyturn } from "../test/fake-keyturn";
import { authLink, createKeyturnClient } from "./connection";
import { ApiSecretsDocument } from "./graphql.generated";

/** The fake server's fetch, recording the bearer token of every request it answers. */
function recordingFetch(fake: FakeKeyturn) {
  const tokens: string[] = [];
  const fetch = jest.fn((input: unknown, init?: { body?: unknown; headers?: unknown }) => {
    tokens.push(new Headers(init?.headers as HeadersInit).get("authorization") ?? "");
    return fake.fetch(input, init);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, tokens, calls: fetch.mock.calls };
}

/** Hands out the given tokens in order, then fails. */
function tokenSequence(...tokens: string[]) {
  const queue = [...tokens];
  return jest.fn(() => {
    const next = queue.shift();
    return next === undefined ? Promise.reject(new Error("no more tokens")) : Promise.resolve(next);
  });
}

const list = (client: ApolloClient, projectId = "demo") =>
  client.query({ query: ApiSecretsDocument, variables: { projectId }, fetchPolicy: "network-only" });

describe("createKeyturnClient", () => {
  it("sends the host's token as a bearer token to the endpoint", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const server = recordingFetch(fake);
    const getAccessToken = tokenSequence("token-1");
    const client = createKeyturnClient({ endpoint: "https://keys.example.com/graphql", getAccessToken }, server.fetch);

    const { data } = await list(client);

    expect(data?.apiSecrets.map((secret) => secret.name)).toEqual(["Reporting"]);
    expect(server.tokens).toEqual(["Bearer token-1"]);
    expect(server.calls[0]![0]).toBe("https://keys.example.com/graphql");
  });

  it("reuses the token for later requests instead of asking the host each time", async () => {
    const fake = new FakeKeyturn();
    const server = recordingFetch(fake);
    const getAccessToken = tokenSequence("token-1", "token-2");
    const client = createKeyturnClient({ endpoint: "/graphql", getAccessToken }, server.fetch);

    await list(client);
    await list(client);

    expect(getAccessToken).toHaveBeenCalledTimes(1);
    expect(server.tokens).toEqual(["Bearer token-1", "Bearer token-1"]);
  });

  it("asks for a new token when the server answers UNAUTHENTICATED, and retries once", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    fake.expiredTokens.add("expired");
    const server = recordingFetch(fake);
    const getAccessToken = tokenSequence("expired", "fresh");
    const client = createKeyturnClient({ endpoint: "/graphql", getAccessToken }, server.fetch);

    const { data } = await list(client);

    expect(data?.apiSecrets).toHaveLength(1);
    expect(getAccessToken).toHaveBeenCalledTimes(2);
    expect(server.tokens).toEqual(["Bearer expired", "Bearer fresh"]);
    // Later requests use the fresh token straight away.
    await list(client);
    expect(server.tokens).toEqual(["Bearer expired", "Bearer fresh", "Bearer fresh"]);
    expect(getAccessToken).toHaveBeenCalledTimes(2);
  });

  it("gives up with UNAUTHENTICATED when the new token is refused too", async () => {
    const fake = new FakeKeyturn();
    fake.expiredTokens.add("expired");
    fake.expiredTokens.add("also-expired");
    const server = recordingFetch(fake);
    const getAccessToken = tokenSequence("expired", "also-expired", "never-asked-for");
    const client = createKeyturnClient({ endpoint: "/graphql", getAccessToken }, server.fetch);

    const failure = await list(client).then(
      () => null,
      (error: unknown) => error,
    );

    expect(CombinedGraphQLErrors.is(failure)).toBe(true);
    expect(CombinedGraphQLErrors.is(failure) && failure.errors[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(getAccessToken).toHaveBeenCalledTimes(2);
    expect(server.tokens).toEqual(["Bearer expired", "Bearer also-expired"]);
  });

  it("shares one new token between concurrent requests that were refused together", async () => {
    const fake = new FakeKeyturn();
    fake.expiredTokens.add("expired");
    const server = recordingFetch(fake);
    const getAccessToken = tokenSequence("expired", "fresh", "fresher");
    const client = createKeyturnClient({ endpoint: "/graphql", getAccessToken }, server.fetch);

    const results = await Promise.all([list(client, "demo"), list(client, "other"), list(client, "third")]);

    expect(results.map((result) => result.data?.projectAccess.projectId)).toEqual(["demo", "other", "third"]);
    expect(getAccessToken).toHaveBeenCalledTimes(2);
    expect(server.tokens.filter((token) => token === "Bearer expired")).toHaveLength(3);
    expect(server.tokens.filter((token) => token === "Bearer fresh")).toHaveLength(3);
    expect(server.tokens).toHaveLength(6);
  });

  it("asks again on the next request when getting a token failed", async () => {
    const fake = new FakeKeyturn();
    const server = recordingFetch(fake);
    const getAccessToken = jest
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error("host backend is down"))
      .mockResolvedValueOnce("token-2");
    const client = createKeyturnClient({ endpoint: "/graphql", getAccessToken }, server.fetch);

    await expect(list(client)).rejects.toThrow("host backend is down");
    expect(server.tokens).toEqual([]);

    await list(client);
    expect(getAccessToken).toHaveBeenCalledTimes(2);
    expect(server.tokens).toEqual(["Bearer token-2"]);
  });

  it("uses the global fetch when none is given", async () => {
    const fake = new FakeKeyturn();
    const server = recordingFetch(fake);
    const original = globalThis.fetch;
    globalThis.fetch = server.fetch;
    try {
      const client = createKeyturnClient({ endpoint: "/graphql", getAccessToken: tokenSequence("token-1") });
      await list(client);
    } finally {
      globalThis.fetch = original;
    }
    expect(server.tokens).toEqual(["Bearer token-1"]);
  });
});

describe("authLink", () => {
  it("keeps the headers set by links before it and adds the authorization", async () => {
    const fake = new FakeKeyturn();
    const seen: Array<Record<string, string>> = [];
    const headerLink = new ApolloLink((operation, forward) => {
      operation.setContext({ headers: { "x-host": "portal" } });
      return forward(operation);
    });
    const spy = new ApolloLink((operation, forward) => {
      seen.push({ ...(operation.getContext().headers as Record<string, string>) });
      return forward(operation);
    });
    const client = new ApolloClient({
      link: ApolloLink.from([
        headerLink,
        authLink(tokenSequence("token-1")),
        spy,
        new HttpLink({ uri: "/graphql", fetch: fake.fetch as unknown as typeof fetch }),
      ]),
      cache: new InMemoryCache(),
    });

    await list(client);

    expect(seen).toEqual([{ "x-host": "portal", authorization: "Bearer token-1" }]);
  });
});

afterEach(() => {
  jest.restoreAllMocks();
});
