/**
 * In-process verification for Node services that share Keyturn's database: the same checks as
 * `POST /v1/verify`, without an HTTP hop.
 *
 *   const verifier = await openVerifier({ databaseUrl: process.env.DATABASE_URL, pepper: process.env.SECRET_PEPPER });
 *   const result = await verifier.verify(keyId, secret); // { status: "VALID", credential } | { status: "INVALID", reason }
 */
import "reflect-metadata";
import { CredentialFormat, DEFAULT_CREDENTIAL_PREFIXES, type CredentialPrefixes } from "@keyturn/shared";
import pino, { type Logger } from "pino";
import { parseDatabaseUrl } from "../config";
import { Database } from "../database/database";
import { createCredentialLookup } from "./credential-lookup";
import { LastUsedRecorder } from "./last-used-recorder";
import { SecretHasher } from "./secret-hasher";
import { Verifier, type VerificationResult } from "./verifier";

export type { InvalidReason, VerificationResult, VerifiedCredential } from "./verifier";

export interface OpenVerifierOptions {
  /** The Keyturn server's DATABASE_URL (mysql://… or sqlite:<path>). */
  databaseUrl: string;
  /** The Keyturn server's SECRET_PEPPER. */
  pepper: string;
  /** The deployment's KEY_ID_PREFIX / SECRET_PREFIX, if not the defaults. */
  prefixes?: CredentialPrefixes;
  /** Where to report failed last-used writes; silent by default. */
  logger?: Logger;
}

export interface OpenedVerifier {
  verify(keyId: unknown, secret: unknown): Promise<VerificationResult>;
  /** Writes pending last-used times and closes the database connection. */
  close(): Promise<void>;
}

export async function openVerifier(options: OpenVerifierOptions): Promise<OpenedVerifier> {
  const db = await Database.open(parseDatabaseUrl(options.databaseUrl, process.cwd()), { migrate: false });
  const lastUsed = new LastUsedRecorder(db, options.logger ?? pino({ level: "silent" }));
  lastUsed.start();
  const verifier = new Verifier({
    format: new CredentialFormat(options.prefixes ?? DEFAULT_CREDENTIAL_PREFIXES),
    hasher: new SecretHasher(options.pepper),
    findByKeyId: createCredentialLookup(db),
    onVerified: (credential, atMs) => lastUsed.record(credential.keyId, credential.secretId, atMs),
  });
  return {
    verify: (keyId, secret) => Promise.resolve(verifier.verify(keyId, secret)),
    close: async () => {
      await lastUsed.stop();
      await db.close();
    },
  };
}
