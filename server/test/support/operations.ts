import type { TestServer } from "./test-server";

export const API_SECRET_FIELDS = `
  id projectId name status currentKeyId secretHint createdAt createdBy rotatedAt revokedAt revokedBy lastUsedAt
  credentials { keyId hint status createdAt expiresAt lastUsedAt }`;

export const LIST_SECRETS = `query List($projectId: ID!) { apiSecrets(projectId: $projectId) { ${API_SECRET_FIELDS} } }`;

export const PROJECT_ACCESS = `query Access($projectId: ID!) { projectAccess(projectId: $projectId) { projectId role canManageSecrets } }`;

export const AUDIT_EVENTS = `query Audit($projectId: ID!, $first: Int, $after: String) {
  auditEvents(projectId: $projectId, first: $first, after: $after) {
    edges { cursor node { id projectId secretId action actor ip userAgent occurredAt details } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const CREATE_SECRET = `mutation Create($input: CreateSecretInput!) {
  createSecret(input: $input) { apiSecret { ${API_SECRET_FIELDS} } credentials { keyId secret } }
}`;

export const ROTATE_SECRET = `mutation Rotate($input: RotateSecretInput!) {
  rotateSecret(input: $input) { apiSecret { ${API_SECRET_FIELDS} } credentials { keyId secret } }
}`;

export const REVOKE_SECRET = `mutation Revoke($input: RevokeSecretInput!) {
  revokeSecret(input: $input) { apiSecret { ${API_SECRET_FIELDS} } }
}`;

export interface Revealed {
  id: string;
  keyId: string;
  secret: string;
}

/** Creates a secret as `token`'s holder and returns its id and revealed credentials (throws on errors). */
export async function createSecret(
  server: TestServer,
  token: string,
  projectId: string,
  name?: string,
): Promise<Revealed> {
  const body = await server.graphql(
    CREATE_SECRET,
    { input: { projectId, ...(name === undefined ? {} : { name }) } },
    token,
  );
  if (body.errors) throw new Error(`createSecret failed: ${JSON.stringify(body.errors)}`);
  const payload = body.data?.createSecret;
  return { id: payload.apiSecret.id, ...payload.credentials };
}

export async function rotateSecret(
  server: TestServer,
  token: string,
  id: string,
  gracePeriodSeconds?: number,
): Promise<Revealed> {
  const input = { id, ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }) };
  const body = await server.graphql(ROTATE_SECRET, { input }, token);
  if (body.errors) throw new Error(`rotateSecret failed: ${JSON.stringify(body.errors)}`);
  return { id, ...body.data?.rotateSecret.credentials };
}

/** The HTTP status POST /v1/verify answers for these credentials. */
export async function verifyStatus(server: TestServer, keyId: string, secret: string): Promise<number> {
  const res = await server.http().post("/v1/verify").send({ keyId, secret });
  return res.status;
}

export function errorCode(body: { errors?: Array<{ extensions?: Record<string, unknown> }> }): unknown {
  return body.errors?.[0]?.extensions?.code;
}
