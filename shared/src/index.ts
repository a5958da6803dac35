export {
  CHECKSUM_LENGTH,
  CredentialFormat,
  DEFAULT_CREDENTIAL_PREFIXES,
  KEY_ID_RANDOM_LENGTH,
  PREFIX_PATTERN,
  SECRET_HINT_LENGTH,
  SECRET_RANDOM_LENGTH,
} from "./credential-format";
export type { CredentialPrefixes, GeneratedCredential } from "./credential-format";
export { ERROR_CODES } from "./error-code";
export type { ErrorCode } from "./error-code";
export { MAX_GRACE_PERIOD_SECONDS } from "./grace-period";
export { PROJECT_ID_PATTERN, PROJECT_ROLES, isProjectId, isProjectRole } from "./project-role";
export type { ProjectRole } from "./project-role";
export { SECRET_NAME_MAX_LENGTH, checkSecretName } from "./secret-name";
export type { SecretNameCheck } from "./secret-name";
