import { parseArgs } from "node:util";
import { isProjectId, isProjectRole } from "@keyturn/shared";
import { SignJWT } from "jose";
import { ConfigError, loadConfig } from "../config";

const USAGE = `Prints a development host token (HS256, signed with AUTH_JWT_SECRET or the generated dev secret).

  npm run -s token -- --project <id> [--project <id> …] [--role admin|viewer] [--sub <name>] [--ttl <seconds>]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      project: { type: "string", multiple: true },
      role: { type: "string", default: "admin" },
      sub: { type: "string", default: "dev-admin" },
      ttl: { type: "string", default: "3600" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const projects = values.project ?? [];
  const ttl = Number(values.ttl);
  if (projects.length === 0 || !projects.every(isProjectId))
    throw new UsageError("--project <id> is required (letters, digits, . _ : @ -)");
  if (!isProjectRole(values.role)) throw new UsageError("--role must be admin or viewer");
  if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError("--ttl must be a positive number of seconds");

  const { auth } = loadConfig();
  if (!auth.jwtSecret)
    throw new ConfigError("AUTH_JWKS_URL is set: tokens come from your identity provider, not from this command");
  const { role } = values;
  let token = new SignJWT({ projects: Object.fromEntries(projects.map((project) => [project, role])) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(values.sub)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`);
  if (auth.issuer) token = token.setIssuer(auth.issuer);
  if (auth.audience) token = token.setAudience(auth.audience);
  console.log(await token.sign(new TextEncoder().encode(auth.jwtSecret)));
}

class UsageError extends Error {}

main().catch((error: unknown) => {
  console.error(
    error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error instanceof Error ? error.message : error,
  );
  process.exit(1);
});
