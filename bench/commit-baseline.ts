// MariaDB's own floor for a durable write, measured beside the mutations: `connections` clients in
// a closed loop, each committing a lower bound of a createSecret's database work with nothing of
// Keyturn in the way — raw mysql2, START TRANSACTION, two INSERTs (a secret row and a credential
// row), COMMIT; a create also reserves its project's slot and writes an audit event — for
// `seconds`. The mutation goals are absolute numbers, and this VM's commit latency drifts by 2×
// within an hour: this tells a slow disk phase from a slow Keyturn. `npm run bench` runs it in its
// own process on the server core (`taskset -c 0`), where Keyturn runs; it prints one JSON result.
//
//   node bench/dist/commit-baseline.js <database> <connections> <seconds>
import { randomBytes, randomUUID } from "node:crypto";
import type { Connection } from "mysql2/promise";
import { percentile } from "./lib/log";
import { connect } from "./lib/mysql";

export interface CommitBaselineResult {
  connections: number;
  seconds: number;
  transactions: number;
  rps: number;
  /** Transaction latency percentiles, in milliseconds. */
  p50: number;
  p99: number;
  max: number;
}

const TABLES = [
  `CREATE TABLE IF NOT EXISTS bench_raw_secret (
     id CHAR(36) NOT NULL PRIMARY KEY, project_id VARCHAR(128) NOT NULL, name VARCHAR(100) NOT NULL,
     created_at DATETIME(3) NOT NULL, KEY (project_id)) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS bench_raw_credential (
     id CHAR(36) NOT NULL PRIMARY KEY, secret_id CHAR(36) NOT NULL, key_id VARCHAR(64) NOT NULL,
     secret_hash CHAR(64) NOT NULL, created_at DATETIME(3) NOT NULL, UNIQUE KEY (key_id)) ENGINE=InnoDB`,
];

async function commitOne(connection: Connection, client: number): Promise<void> {
  const secretId = randomUUID();
  await connection.query("START TRANSACTION");
  await connection.query("INSERT INTO bench_raw_secret VALUES (?, ?, ?, NOW(3))", [
    secretId,
    `baseline-project-${client}`,
    "Baseline",
  ]);
  await connection.query("INSERT INTO bench_raw_credential VALUES (?, ?, ?, ?, NOW(3))", [
    randomUUID(),
    secretId,
    `ktid_${randomBytes(16).toString("hex")}`,
    randomBytes(32).toString("hex"),
  ]);
  await connection.query("COMMIT");
}

export async function measureCommitBaseline(
  database: string,
  connections: number,
  seconds: number,
): Promise<CommitBaselineResult> {
  const opened = await Promise.allSettled(Array.from({ length: connections }, () => connect(database)));
  const clients = opened.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  try {
    const failed = opened.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    for (const sql of TABLES) await clients[0]?.query(sql);
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      clients.map(async (connection, client) => {
        while (performance.now() < deadline) {
          const begun = performance.now();
          await commitOne(connection, client);
          latencies.push(performance.now() - begun);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      connections,
      seconds,
      transactions: latencies.length,
      rps: latencies.length / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? NaN,
    };
  } finally {
    // Closing must not hide the failure that brought us here.
    await Promise.allSettled(clients.map((connection) => connection.end()));
  }
}

if (require.main === module) {
  const [database, connections, seconds] = process.argv.slice(2);
  if (!database) throw new Error("usage: commit-baseline.js <database> <connections> <seconds>");
  measureCommitBaseline(database, Number(connections ?? 10), Number(seconds ?? 5)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
