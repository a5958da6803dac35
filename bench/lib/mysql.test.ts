import { describe, expect, it } from "@jest/globals";
import type { RowDataPacket } from "mysql2/promise";
import { connect, fillerRowIdSql, flushDirtyPages, GlobalSettings, sampleWindow } from "./mysql";

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
    const v4 = "0f9d2c1e-5b7a-4c3d-9e8f-0123456789ab";
    expect(() => sampleWindow(v4, v7(T0))).toThrow(/not UUIDv7s/);
  });
});

// The SQL runs on MariaDB only (its sequence engine): with TEST_MYSQL_URL, as `.ci/run` sets it.
const onMariaDb = process.env.TEST_MYSQL_URL ? describe : describe.skip;

onMariaDb("fillerRowIdSql on MariaDB", () => {
  const sample = Array.from({ length: 20 }, (_, i) => v7(T0 + i * 50));
  const window = sampleWindow(sample[0] ?? null, sample.at(-1) ?? null);

  async function fillerIds(salt: string): Promise<string[]> {
    const connection = await connect();
    try {
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT ${fillerRowIdSql(window, 2000, salt)} AS id FROM mysql.seq_1_to_2000 ORDER BY seq`,
      );
      return rows.map((row) => row.id as string);
    } finally {
      await connection.end();
    }
  }

  it("makes distinct UUIDv7s from the sample's milliseconds, rising with the sequence", async () => {
    const ids = await fillerIds("secret");
    expect(new Set(ids).size).toBe(2000);
    const times = ids.map((id) => parseInt(id.replace(/-/g, "").slice(0, 12), 16));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(Math.min(...times)).toBe(window.fromMs);
    expect(Math.max(...times)).toBe(window.fromMs + window.spanMs - 1);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("spreads the sample among the filler: no two of the sample's ids are neighbours in id order", async () => {
    const filler = new Set(await fillerIds("secret"));
    const sorted = [...sample, ...filler].sort();
    const neighbours = sorted.filter((id, i) => i > 0 && !filler.has(id) && !filler.has(sorted[i - 1] ?? ""));
    expect(neighbours).toEqual([]);
  });

  it("gives each salt (each table) ids of its own", async () => {
    const secrets = new Set(await fillerIds("secret"));
    expect((await fillerIds("credential")).filter((id) => secrets.has(id))).toEqual([]);
  });
});

onMariaDb("flushDirtyPages on MariaDB", () => {
  it("hastens the page cleaner while it waits, and puts both settings back", async () => {
    const connection = await connect();
    const current = async () => {
      const [[row]] = await connection.query<RowDataPacket[]>(
        "SELECT @@innodb_io_capacity AS io, @@innodb_io_capacity_max AS ioMax, @@innodb_max_dirty_pages_pct AS pct",
      );
      return { io: Number(row?.io), ioMax: Number(row?.ioMax), pct: Number(row?.pct) };
    };
    const settings = new GlobalSettings();
    try {
      const before = await current();
      await connection.query("CREATE DATABASE IF NOT EXISTS keyturn_bench_flush_test");
      await connection.query(
        "CREATE OR REPLACE TABLE keyturn_bench_flush_test.t (k VARCHAR(32) PRIMARY KEY, v VARCHAR(200))",
      );
      await connection.query(
        "INSERT INTO keyturn_bench_flush_test.t SELECT MD5(seq), REPEAT('x', 150) FROM mysql.seq_1_to_100000",
      );
      const during: Array<{ io: number; pct: number }> = [];
      const { dirty, hastened } = await flushDirtyPages(settings, {
        // Server-wide counts: other suites may write meanwhile, so only the settings are asserted.
        progress: () => void current().then(({ io, pct }) => during.push({ io, pct })),
        everyMs: 0,
        timeoutMs: 2_000,
      });
      expect(hastened).toBe(true);
      expect(dirty).toBeGreaterThan(0);
      expect(during).toContainEqual({ io: before.ioMax, pct: 0 });
      expect(await current()).toEqual(before);
    } finally {
      await settings.restore();
      await connection.query("DROP DATABASE IF EXISTS keyturn_bench_flush_test");
      await connection.end();
    }
  }, 30_000);
});
