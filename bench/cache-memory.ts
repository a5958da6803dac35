// Bytes per cached verification: fills the server's own CredentialCache with `count` lookups
// shaped as the database returns them (fresh strings each, as in production) and divides the heap
// growth. Run in its own process with --expose-gc (`npm run bench` does).
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type * as CacheModule from "../server/src/verification/credential-cache";

const ROOT = join(__dirname, "../..");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the server's build, not its source
const { CredentialCache } = require(join(ROOT, "server/dist/verification/credential-cache.js")) as typeof CacheModule;

const count = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

function randomText(
  length: number,
  alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
): string {
  // join, not +=: concatenation would build rope strings far larger than the flat ones a driver returns.
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
}

/** A flat copy, as a driver or a request parser produces; a template literal makes a rope. */
function flat(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

async function main(): Promise<void> {
  const keyIds = Array.from({ length: count }, () => flat(`ktid_${randomText(22)}`));
  gc?.();
  const before = process.memoryUsage().heapUsed;
  // Built after the first reading: the LRU's per-slot arrays, allocated up front, count too.
  const cache = new CredentialCache(
    (keyId) =>
      Promise.resolve({
        secretId: flat(crypto.randomUUID()),
        // Project IDs come with each row: not shared strings.
        projectId: flat(`project-${randomText(12)}`),
        secretHash: flat(randomBytes(32).toString("latin1")),
        innerHash: undefined,
        expiresAtMs: keyId.endsWith("a") ? Date.now() + 3_600_000 : null,
        revoked: false,
      }),
    { maxEntries: count, ttlMs: 60_000, outageMs: 300_000, mayServeStale: () => false },
  );
  for (const keyId of keyIds) await cache.find(keyId);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (cache.size !== count) throw new Error(`cache holds ${cache.size}, expected ${count}`);
  // The cache keeps its own copy of each Key ID (see CredentialCache.load), so the heap growth
  // already includes the keys; the request strings above stay referenced and are not counted.
  process.stdout.write(
    JSON.stringify({ entries: count, bytesPerEntry: (after - before) / count, keyIds: keyIds.length }),
  );
}

void main();
