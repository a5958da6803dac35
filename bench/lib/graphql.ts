import { SignJWT } from "jose";
import { JWT_SECRET } from "./processes";

export const CREATE_SECRET = `mutation Create($input: CreateSecretInput!) {
  createSecret(input: $input) { apiSecret { id } credentials { keyId secret } }
}`;

export const ROTATE_SECRET = `mutation Rotate($input: RotateSecretInput!) {
  rotateSecret(input: $input) { apiSecret { id } credentials { keyId secret } }
}`;

export interface Credential {
  secretId: string;
  keyId: string;
  secret: string;
}

/** A host token, as a portal signs it: admin of `projects`. */
export function adminToken(projects: string[], sub = "bench@example.com"): Promise<string> {
  return new SignJWT({ projects: Object.fromEntries(projects.map((p) => [p, "admin"])) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(JWT_SECRET));
}

export async function graphql(url: string, token: string, query: string, variables: unknown): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function createSecret(url: string, token: string, projectId: string): Promise<Credential> {
  const data = (await graphql(url, token, CREATE_SECRET, { input: { projectId } })) as {
    createSecret: { apiSecret: { id: string }; credentials: { keyId: string; secret: string } };
  };
  return { secretId: data.createSecret.apiSecret.id, ...data.createSecret.credentials };
}

/** `count` secrets spread over `projects`, `parallel` at a time, through the real mutation. */
export async function createSecrets(
  url: string,
  projects: string[],
  count: number,
  parallel = 16,
): Promise<Credential[]> {
  const token = await adminToken(projects);
  const created: Credential[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        created.push(await createSecret(url, token, projects[i % projects.length] ?? ""));
      }
    }),
  );
  return created;
}
