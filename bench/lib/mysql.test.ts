import { describe, expect, it } from "@jest/globals";
import type { RowDataPacket } from "mysql2/promise";
import { connect, fillerRowIdSql, flushDirtyPages, sampleWindow } from "./mysql";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/;

/** A UUIDv7 of the millisecond `ms` (the random bits fixed: only the order of the times matters here). */
function v7(ms: number): string {
  const time = ms.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8)}-7abc-8def-0123456789ab`;
}

const T0 = Date.parse("2026-12-05T17:00:00.000Z");

describe("sampleWindow", () => {
  it("spans the milliseconds of the first and the last of the sample's UUIDv7 ids", () => {
    expect(sampleWindow(v7(T0), v7(T0 + 999))).toEqual({ fromMs: T0, spanMs: 1000 });
    expect(sampleWindow(v7(T0), v7(T0))).toEqual({ fromMs: T0, spanMs: 1 });
  });

  it("refuses a sample without UUIDv7 ids, rather than spread the filler over a made-up window", () => {
    expect(() => sampleWindow(null, null)).toThrow(/not UUIDv7s/);
    expect(() => sampleWindow("filler-1", v7(T0))).toThrow(/not UUIDv7s: filler-1/);
  });
});

// The SQL runs on MariaDB only (its sequence engine): with TEST_MYSQL_URL, as `.ci/run` sets it.
(process.env.TEST_MYSQL_URL ? describe : describe.skip)("fillerRowIdSql on MariaDB", () => {
  const sample = Array.from({ length: 20 }, (_, i) => v7(T0 + i * 50));
  const window = sampleWindow(sample[0] ?? null, sample.at(-1) ?? null);

  async function fillerIds(table: string): Promise<string[]> {
    const connection = await connect();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT ${fillerRowIdSql(window, table)} AS id FROM mysql.seq_1_to_2000 ORDER BY seq`,
      );
      return rows.map((row) => row.id as string);
    } finally {
      await connection.end();
    }
  }

  it("makes distinct UUIDv7s from the sample's milliseconds", async () => {
    const ids = await fillerIds("secret");
    expect(new Set(ids).size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(UUID_V7);
      const ms = parseInt(id.replace(/-/g, "").slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(window.fromMs);
      expect(ms).toBeLessThan(window.fromMs + window.spanMs);
    }
  });

  it("spreads the sample among the filler: no two of the sample's ids are neighbours in id order", async () => {
    const filler = new Set(await fillerIds("secret"));
    const sorted = [...sample, ...filler].sort();
    const neighbours = sorted.filter((id, i) => i > 0 && !filler.has(id) && !filler.has(sorted[i - 1] ?? ""));
    expect(neighbours).toEqual([]);
  });

  it("gives a secret the same id wherever it is written, and each table its own ids", async () => {
    const [secrets, again, credentials] = [
      await fillerIds("secret"),
      await fillerIds("secret"),
      await fillerIds("credential"),
    ];
    expect(again).toEqual(secrets);
    expect(credentials.filter((id) => secrets.includes(id))).toEqual([]);
  });
});

(process.env.TEST_MYSQL_URL ? describe : describe.skip)("flushDirtyPages on MariaDB", () => {
  it("writes back the pages rows just written left dirty, and puts both settings back", async () => {
    const connection = await connect();
    const settings = async () => {
      const [[row]] = await connection.query<RowDataPacket[]>(
        "SELECT @@innodb_io_capacity AS io, @@innodb_max_dirty_pages_pct AS pct",
      );
      return { io: Number(row?.io), pct: Number(row?.pct) };
    };
    try {
      const before = await settings();
      await connection.query("CREATE DATABASE IF NOT EXISTS keyturn_bench_flush_test");
      await connection.query(
        "CREATE OR REPLACE TABLE keyturn_bench_flush_test.t (k VARCHAR(32) PRIMARY KEY, v VARCHAR(200))",
      );
      await connection.query(
        "INSERT INTO keyturn_bench_flush_test.t SELECT MD5(seq), REPEAT('x', 150) FROM mysql.seq_1_to_20000",
      );
      const { dirty, left } = await flushDirtyPages(() => undefined, 60_000);
      expect(dirty).toBeGreaterThan(100);
      expect(left).toBeLessThanOrEqual(100);
      expect(await settings()).toEqual(before);
    } finally {
      await connection.query("DROP DATABASE IF EXISTS keyturn_bench_flush_test");
      await connection.end();
    }
  });
});
