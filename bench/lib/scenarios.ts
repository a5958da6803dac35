import { CredentialFormat } from "@keyturn/shared";
import type { Credential } from "./graphql";
import type { PreparedRequest } from "./lua";

export const REPORT_PATH = "/analytics/v1/report";
export const VERIFY_PATH = "/v1/verify";

/** The Analytics API's way in: `Authorization: Basic base64(keyId:secret)`. */
export function basicRequests(credentials: Array<Pick<Credential, "keyId" | "secret">>): PreparedRequest[] {
  return credentials.map(({ keyId, secret }) => ({
    method: "GET",
    path: REPORT_PATH,
    headers: { Authorization: `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}` },
  }));
}

/** POST /v1/verify with a JSON body, for services that check a credential on their own. */
export function verifyRequests(credentials: Array<Pick<Credential, "keyId" | "secret">>): PreparedRequest[] {
  return credentials.map(({ keyId, secret }) => ({
    method: "POST",
    path: VERIFY_PATH,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ keyId, secret }),
  }));
}

/** The same credentials with one character of each secret changed: the checksum fails. */
export function badChecksum(credentials: Credential[]): Credential[] {
  return credentials.map((c) => {
    const i = c.secret.length - 10;
    const swapped = c.secret[i] === "a" ? "b" : "a";
    return { ...c, secret: c.secret.slice(0, i) + swapped + c.secret.slice(i + 1) };
  });
}

/** Well-formed credentials (valid checksums) whose Key IDs were never stored. */
export function unknownKeyIds(count: number): Credential[] {
  const format = new CredentialFormat();
  return Array.from({ length: count }, () => ({ secretId: "", ...format.generate() }));
}

/** Real Key IDs with someone else's (well-formed) secret: found, then refused by the hash. */
export function wrongSecrets(credentials: Credential[]): Credential[] {
  return credentials.map((c, i) => ({ ...c, secret: credentials[(i + 1) % credentials.length]?.secret ?? c.secret }));
}
