import type { VerifiedCredential } from "./verifier";

// The two bodies the verification routes answer a valid credential with, built as text. They have
// a fixed shape, and on the cached Basic-auth route JSON.stringify of the object cost about 8 % of
// the throughput (bench/notes.md, 2026-12-04, sixth session). Every value is a string through
// JSON.stringify or a number, so the text is JSON.stringify's, byte for byte (see the tests).

/** `POST /v1/verify`'s answer: `{ valid: true, projectId, secretId, keyId }`. */
export function validJson({ projectId, secretId, keyId }: VerifiedCredential): string {
  return `{"valid":true,"projectId":${JSON.stringify(projectId)},"secretId":${JSON.stringify(secretId)},"keyId":${JSON.stringify(keyId)}}`;
}

/**
 * The Analytics API's stand-in answer: the project, the Key ID, and a small report that is the
 * same for a project every time, enough for a client to see that its credentials opened the door.
 */
export function reportJson(projectId: string, keyId: string): string {
  let seed = 0;
  // By code unit: iterating a string's code points cost ≈ 2 % of the cached route's CPU.
  for (let i = 0; i < projectId.length; i++) seed = (seed * 31 + projectId.charCodeAt(i)) >>> 0;
  return `{"projectId":${JSON.stringify(projectId)},"keyId":${JSON.stringify(keyId)},"report":{"period":"last_7_days","pageviews":${1000 + (seed % 9000)},"visitors":${100 + (seed % 900)}}}`;
}
