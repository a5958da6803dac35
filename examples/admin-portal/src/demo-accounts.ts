import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { PROJECTS } from "./projects";

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** What a portal user may do in each project; the portal's own rules, turned into Keyturn roles. */
export type PortalRole = "admin" | "viewer";

export interface Account {
  email: string;
  name: string;
  /** scrypt, as `scrypt$<salt hex>$<hash hex>`; the plain password is never stored. */
  passwordHash: string;
  roles: Record<string, PortalRole>;
}

/** The demo sign-ins, printed at start and in the README. Demo only: change them for anything else. */
export const DEMO_CREDENTIALS = [
  { email: "admin@acme.test", password: "keyturn-admin", name: "Ada Admin", role: "admin" as const },
  { email: "viewer@acme.test", password: "keyturn-viewer", name: "Victor Viewer", role: "viewer" as const },
];

const KEY_LENGTH = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString("hex")}$${hash.toString("hex")}`;
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "hex");
  const actual = await scrypt(password, Buffer.from(salt, "hex"), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The portal's user store: a JSON file under DATA_DIR, seeded with the demo accounts on first start. */
export class Accounts {
  private constructor(private readonly accounts: Account[]) {}

  static async open(dataDir: string): Promise<Accounts> {
    const file = join(dataDir, "demo-portal-accounts.json");
    if (!existsSync(file)) {
      const seeded: Account[] = await Promise.all(
        DEMO_CREDENTIALS.map(async ({ email, password, name, role }) => ({
          email,
          name,
          passwordHash: await hashPassword(password),
          roles: Object.fromEntries(PROJECTS.map((project) => [project.id, role])),
        })),
      );
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(seeded, null, 2)}\n`, { mode: 0o600 });
    }
    return new Accounts(JSON.parse(readFileSync(file, "utf8")) as Account[]);
  }

  find(email: string): Account | undefined {
    return this.accounts.find((account) => account.email.toLowerCase() === email.trim().toLowerCase());
  }

  /** The account if the password is right; the same slow check runs for unknown emails. */
  async signIn(email: string, password: string): Promise<Account | null> {
    const account = this.find(email);
    const matches = await passwordMatches(password, account?.passwordHash ?? UNKNOWN_ACCOUNT_HASH);
    return account && matches ? account : null;
  }
}

// A hash nobody's password matches, so unknown emails cost as much time as wrong passwords.
const UNKNOWN_ACCOUNT_HASH = `scrypt$${"00".repeat(16)}$${"00".repeat(KEY_LENGTH)}`;
