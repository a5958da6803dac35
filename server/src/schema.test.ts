import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { buildKeyturnSchema, renderSchema } from "./schema";

describe("schema.graphql", () => {
  it("matches the schema the code builds (run `npm run schema:emit` after changing the API)", async () => {
    const committed = readFileSync(join(__dirname, "../../schema.graphql"), "utf8");
    expect(renderSchema(await buildKeyturnSchema())).toBe(committed);
  });

  it("has no field that could carry a stored hash", async () => {
    const sdl = renderSchema(await buildKeyturnSchema());
    expect(sdl).not.toMatch(/^\s+\w*(hash|pepper)\w*\s*[:(]/im);
    // The only `secret:` field is the one-time reveal in create/rotate payloads.
    expect(sdl.match(/^\s+secret: /gm)).toHaveLength(1);
  });
});
