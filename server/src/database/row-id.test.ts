import { describe, expect, it } from "@jest/globals";
import { validate, version } from "uuid";
import { newRowId } from "./row-id";

describe("newRowId", () => {
  it("makes UUIDv7s", () => {
    const id = newRowId();
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
  });

  it("makes ids that sort, as bytes, in the order they were made", () => {
    // MySQL compares the ascii_bin id columns byte for byte, as JavaScript compares these strings.
    const ids = Array.from({ length: 1_000 }, () => newRowId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("starts with the time it was made", () => {
    const before = Date.now();
    const id = newRowId();
    const after = Date.now();
    const ms = parseInt(id.replace(/-/g, "").slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });
});
