import { describe, expect, it, jest } from "@jest/globals";
import type { Logger } from "pino";
import { RequestContext } from "./context";
import { createLogger } from "./logger";

describe("RequestContext", () => {
  it("makes its logger only when a line is logged, also when copied as Apollo copies a context", () => {
    const logger = createLogger({ logLevel: "warn" }, { write: () => undefined });
    const make = jest.fn<() => Logger>(() => logger);
    const context = new RequestContext({ status: "ANONYMOUS" }, "203.0.113.7", null, make);
    // Apollo Server copies the context's own properties onto an object of the same prototype.
    const copy = Object.assign(Object.create(Object.getPrototypeOf(context) as object) as RequestContext, context);
    expect(make).not.toHaveBeenCalled();
    expect(copy.ip).toBe("203.0.113.7");
    expect(copy.log).toBe(logger);
    expect(make).toHaveBeenCalledTimes(1);
  });
});
