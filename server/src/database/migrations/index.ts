import { CreateSecretTables1795823133281 } from "./1795823133281-CreateSecretTables";
import { IndexLiveCredentials1796220900000 } from "./1796220900000-IndexLiveCredentials";
import { CreateSecretProcedure1796400000000 } from "./1796400000000-CreateSecretProcedure";
import { RotateSecretProcedure1796400000001 } from "./1796400000001-RotateSecretProcedure";
import { RotateSecretReadCommitted1796500000000 } from "./1796500000000-RotateSecretReadCommitted";
import { SecretSoleKeyId1796600000000 } from "./1796600000000-SecretSoleKeyId";
import { LiveCredentialsByGeneration1796700000000 } from "./1796700000000-LiveCredentialsByGeneration";
import { LiveCredentialsOnSecret1796800000000 } from "./1796800000000-LiveCredentialsOnSecret";
import { CredentialKeyIdPrimaryKey1796900000000 } from "./1796900000000-CredentialKeyIdPrimaryKey";
import { CredentialStateOnItsRow1797000000000 } from "./1797000000000-CredentialStateOnItsRow";
import { RevocationOnCredentials1797100000000 } from "./1797100000000-RevocationOnCredentials";

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const migrations = [
  CreateSecretTables1795823133281,
  IndexLiveCredentials1796220900000,
  CreateSecretProcedure1796400000000,
  RotateSecretProcedure1796400000001,
  RotateSecretReadCommitted1796500000000,
  SecretSoleKeyId1796600000000,
  LiveCredentialsByGeneration1796700000000,
  LiveCredentialsOnSecret1796800000000,
  CredentialKeyIdPrimaryKey1796900000000,
  CredentialStateOnItsRow1797000000000,
  RevocationOnCredentials1797100000000,
];
