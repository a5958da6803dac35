import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { buildKeyturnSchema, renderSchema } from "../schema";

export const SCHEMA_FILE = resolve(__dirname, "../../../schema.graphql");

async function main(): Promise<void> {
  writeFileSync(SCHEMA_FILE, renderSchema(await buildKeyturnSchema()));
  console.log(`Wrote ${SCHEMA_FILE}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
