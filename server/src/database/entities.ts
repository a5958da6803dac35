import { ApiSecret } from "../api-secrets/api-secret.entity";
import { Credential } from "../api-secrets/credential.entity";
import { Project } from "../api-secrets/project.entity";
import { AuditEvent } from "../audit/audit-event.entity";

export const entities = [ApiSecret, Credential, Project, AuditEvent];
