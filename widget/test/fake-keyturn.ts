import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApolloClient, ApolloLink, InMemoryCache } from "@apollo/client";
import { GraphQLError, buildSchema, execute, parse, validate, type FormattedExecutionResult } from "graphql";
import { Observable } from "rxjs";

/**
 * An in-memory Keyturn for component tests: operations are validated and executed against the
 * server's real schema.graphql, so a widget query the server would reject fails here too. Tests
 * control its data, the caller's role, failures and timing.
 */
const schema = buildSchema(readFileSync(join(__dirname, "../../schema.graphql"), "utf8"));

export interface FakeCredential {
  keyId: string;
  hint: string;
  status: "ACTIVE" | "EXPIRING";
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface FakeSecret {
  id: string;
  projectId: string;
  name: string;
  status: "ACTIVE" | "REVOKED";
  currentKeyId: string;
  secretHint: string;
  createdAt: string;
  createdBy: string;
  rotatedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
  credentials: FakeCredential[];
}

type Gate = { promise: Promise<void>; release: () => void };

function gate(): Gate {
  let release = () => {};
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { promise, release };
}

let sequence = 0;

export class FakeKeyturn {
  secrets: FakeSecret[] = [];
  role: "ADMIN" | "VIEWER" = "ADMIN";
  /** Every operation the widget sent, by name, with its variables. */
  readonly calls: Array<{ operation: string; variables: Record<string, unknown> }> = [];
  /** Every secret this fake has revealed, to search caches, storage and the DOM for. */
  readonly revealed: string[] = [];
  private readonly failures = new Map<string, GraphQLError[]>();
  private readonly holds = new Map<string, Gate>();
  /** Tokens the fake treats as expired (answers UNAUTHENTICATED), for the endpoint + token path. */
  readonly expiredTokens = new Set<string>();

  constructor(readonly projectId = "demo") {}

  /** Adds an active secret created `ageMs` ago, and returns it. */
  addSecret(overrides: Partial<FakeSecret> = {}, ageMs = 3 * 24 * 3600 * 1000): FakeSecret {
    const keyId = nextKeyId();
    const createdAt = new Date(Date.now() - ageMs).toISOString();
    const secret: FakeSecret = {
      id: `00000000-0000-4000-8000-${String(++sequence).padStart(12, "0")}`,
      projectId: this.projectId,
      name: `Secret ${sequence}`,
      status: "ACTIVE",
      currentKeyId: keyId,
      secretHint: "ktsk_…AbCd",
      createdAt,
      createdBy: "alice@example.com",
      rotatedAt: null,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
      credentials: [{ keyId, hint: "ktsk_…AbCd", status: "ACTIVE", createdAt, expiresAt: null, lastUsedAt: null }],
      ...overrides,
    };
    this.secrets.push(secret);
    return secret;
  }

  /** The next `operation` answers with this error code instead of running. */
  failNext(operation: string, code: string, message = `${code} from the fake server`): void {
    this.failures.set(operation, [new GraphQLError(message, { extensions: { code } })]);
  }

  /** The next `operation` waits until the returned function is called. */
  hold(operation: string): () => void {
    const held = gate();
    this.holds.set(operation, held);
    return held.release;
  }

  count(operation: string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  /** An Apollo link that runs operations here, as the host's own client would reach a server. */
  link(): ApolloLink {
    return new ApolloLink(
      (operation) =>
        new Observable((observer) => {
          this.run(operation.operationName ?? "", operation.query, operation.variables).then(
            (result) => {
              observer.next(result);
              observer.complete();
            },
            (error: unknown) => {
              observer.error(error);
            },
          );
        }),
    );
  }

  /** A host-style ApolloClient backed by this fake. */
  client(): ApolloClient {
    return new ApolloClient({ link: this.link(), cache: new InMemoryCache() });
  }

  /** A fetch() that answers POST /graphql like the server, checking the bearer token. */
  readonly fetch = async (_input: unknown, init?: { body?: unknown; headers?: unknown }): Promise<Response> => {
    const headers = new Headers(init?.headers as HeadersInit);
    const token = headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
    const body = JSON.parse(String(init?.body)) as {
      operationName?: string;
      query: string;
      variables?: Record<string, unknown>;
    };
    const result =
      !token || this.expiredTokens.has(token)
        ? { errors: [{ message: "Authentication required", extensions: { code: "UNAUTHENTICATED" } }] }
        : await this.run(body.operationName ?? "", parse(body.query), body.variables ?? {});
    return new Response(JSON.stringify(result), { status: 200, headers: { "content-type": "application/json" } });
  };

  private async run(
    operation: string,
    document: ReturnType<typeof parse>,
    variables: Record<string, unknown>,
  ): Promise<FormattedExecutionResult> {
    const problems = validate(schema, document);
    if (problems.length) return { errors: problems.map((problem) => problem.toJSON()) };
    this.calls.push({ operation, variables });
    const held = this.holds.get(operation);
    if (held) {
      this.holds.delete(operation);
      await held.promise;
    }
    const failure = this.failures.get(operation);
    if (failure) {
      this.failures.delete(operation);
      return { data: null, errors: failure.map((error) => error.toJSON()) };
    }
    const result = await execute({ schema, document, variableValues: variables, rootValue: this.resolvers() });
    return JSON.parse(JSON.stringify(result)) as FormattedExecutionResult;
  }

  private resolvers() {
    const find = (id: string) => {
      const secret = this.secrets.find((s) => s.id === id);
      if (!secret) throw new GraphQLError("API secret not found.", { extensions: { code: "NOT_FOUND" } });
      return secret;
    };
    const issue = (secret: FakeSecret) => {
      const keyId = nextKeyId();
      const secretValue = `ktsk_${randomBody(32)}${randomBody(6)}`;
      this.revealed.push(secretValue);
      const hint = `ktsk_…${secretValue.slice(-4)}`;
      secret.currentKeyId = keyId;
      secret.secretHint = hint;
      return { keyId, hint, secret: secretValue };
    };
    return {
      projectAccess: ({ projectId }: { projectId: string }) => ({
        projectId,
        role: this.role,
        canManageSecrets: this.role === "ADMIN",
      }),
      apiSecrets: ({ projectId }: { projectId: string }) =>
        [...this.secrets].filter((s) => s.projectId === projectId).reverse(),
      createSecret: ({ input }: { input: { projectId: string; name?: string | null } }) => {
        const secret = this.addSecret({ name: input.name ?? `Secret ${sequence + 1}`, projectId: input.projectId }, 0);
        const issued = issue(secret);
        secret.credentials = secret.credentials.map((c) => ({ ...c, keyId: issued.keyId, hint: issued.hint }));
        return { apiSecret: secret, credentials: { keyId: issued.keyId, secret: issued.secret } };
      },
      rotateSecret: ({ input }: { input: { id: string; gracePeriodSeconds: number } }) => {
        const secret = find(input.id);
        const previous = secret.credentials.find((c) => c.status === "ACTIVE");
        const now = new Date().toISOString();
        const issued = issue(secret);
        const replaced =
          previous && input.gracePeriodSeconds > 0
            ? [
                {
                  ...previous,
                  status: "EXPIRING" as const,
                  expiresAt: new Date(Date.now() + input.gracePeriodSeconds * 1000).toISOString(),
                },
              ]
            : [];
        secret.rotatedAt = now;
        secret.credentials = [
          {
            keyId: issued.keyId,
            hint: issued.hint,
            status: "ACTIVE",
            createdAt: now,
            expiresAt: null,
            lastUsedAt: null,
          },
          ...replaced,
        ];
        return { apiSecret: secret, credentials: { keyId: issued.keyId, secret: issued.secret } };
      },
      revokeSecret: ({ input }: { input: { id: string } }) => {
        const secret = find(input.id);
        secret.status = "REVOKED";
        secret.revokedAt = new Date().toISOString();
        secret.revokedBy = "alice@example.com";
        secret.credentials = [];
        return { apiSecret: secret };
      },
    };
  }
}

function randomBody(length: number): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
}

function nextKeyId(): string {
  return `ktid_${randomBody(22)}`;
}
