import { describe, expect, it } from "@jest/globals";
import { DatabaseUnavailableError, LockTimeoutError, retryingDeadlocks } from "./database";

/** An error as mysql2 raises it: MySQL's error number, and a code for lost connections. */
const mysqlError = (errno: number, code = "ER_X") => Object.assign(new Error(`errno ${errno}`), { errno, code });
const DEADLOCK = 1213;
const LOCK_WAIT_TIMEOUT = 1205;

/** An attempt that throws the given errors in turn, then answers "done"; it counts its calls. */
function attempts(...errors: Error[]) {
  const calls = { count: 0 };
  const attempt = () => {
    const error = errors[calls.count++];
    return error ? Promise.reject(error) : Promise.resolve("done");
  };
  return { attempt, calls };
}

describe("retryingDeadlocks (callProcedure's and transaction()'s retries on MySQL)", () => {
  it("runs an attempt MySQL chose as a deadlock victim again, and answers with the next one's result", async () => {
    const { attempt, calls } = attempts(mysqlError(DEADLOCK), mysqlError(DEADLOCK));
    await expect(retryingDeadlocks(attempt)).resolves.toBe("done");
    expect(calls.count).toBe(3);
  });

  it("gives up after three retries and passes the deadlock on", async () => {
    const deadlocks = Array.from({ length: 5 }, () => mysqlError(DEADLOCK));
    const { attempt, calls } = attempts(...deadlocks);
    await expect(retryingDeadlocks(attempt)).rejects.toBe(deadlocks[3]);
    expect(calls.count).toBe(4);
  });

  it("turns a lock wait past the bound into LockTimeoutError, without retrying", async () => {
    const { attempt, calls } = attempts(mysqlError(LOCK_WAIT_TIMEOUT));
    await expect(retryingDeadlocks(attempt)).rejects.toBeInstanceOf(LockTimeoutError);
    expect(calls.count).toBe(1);
  });

  it("calls a lost connection unavailability with the change not applied", async () => {
    const { attempt } = attempts(mysqlError(2013, "PROTOCOL_CONNECTION_LOST"));
    const error = await retryingDeadlocks(attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as DatabaseUnavailableError).outcome).toBe("not-applied");
  });

  it("keeps an attempt's own word that its COMMIT's outcome is unknown", async () => {
    const unknown = new DatabaseUnavailableError("The database connection broke during COMMIT", "unknown");
    const { attempt, calls } = attempts(unknown);
    await expect(retryingDeadlocks(attempt)).rejects.toBe(unknown);
    expect(calls.count).toBe(1);
  });

  it("passes any other error on as it is, without retrying", async () => {
    const other = mysqlError(1062, "ER_DUP_ENTRY");
    const { attempt, calls } = attempts(other);
    await expect(retryingDeadlocks(attempt)).rejects.toBe(other);
    expect(calls.count).toBe(1);
  });
});
