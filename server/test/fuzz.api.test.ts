import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, expect, it, jest } from "@jest/globals";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { CredentialFormat, DEFAULT_CREDENTIAL_PREFIXES, ERROR_CODES } from "@keyturn/shared";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";
import { ApiSecretService } from "../src/api-secrets/api-secret.service";
import { AuditEventService } from "../src/audit/audit-event.service";
import { buildKeyturnSchema } from "../src/schema";
import { describeEachDatabase } from "./support/databases";
import { REVOKE_SECRET, createSecret, rotateSecret, type Revealed } from "./support/operations";
import { hostToken, useTestServer } from "./support/test-server";

/**
 * A schema-driven fuzzer: operations built from the live schema's root fields, arguments and
 * types, with valid values, wrong ones and garbage, sent as admin, viewer and nobody. Nothing it
 * sends may get a 5xx, an INTERNAL_SERVER_ERROR, a stack trace or a word about the database.
 *
 * Reproduce a failure with FUZZ_SEED=<the printed seed>; FUZZ_PER_ROOT_FIELD and
 * FUZZ_VERIFY_CASES scale the run.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
/** Operations per root field (the catalogue's B1 asks ≥ 1,000 per query and mutation). */
const PER_ROOT_FIELD = Number(process.env.FUZZ_PER_ROOT_FIELD ?? 1_000);
const VERIFY_CASES = Number(process.env.FUZZ_VERIFY_CASES ?? 1_000);
const CONCURRENCY = 4;

/** Driver, SQL and stack-frame text: none of it may reach a client (the word SQL nowhere). */
const LEAK = /ER_|SQL|sqlite|mysql|ECONN|QueryFailed|at .*\.js/i;
/**
 * The error codes Keyturn and Apollo answer with, which LEAK would read as a MySQL `ER_` code
 * (BAD_USER_INPUT, INTERNAL_SERVER_ERROR): removed, and only these, before LEAK looks.
 */
const KNOWN_CODES = new RegExp(
  `"(?:${[...ERROR_CODES, ...Object.values(ApolloServerErrorCode), "BAD_REQUEST"].join("|")})"`,
  "g",
);

/** Issued Key IDs and secrets are random base62: one may spell "sql" by chance. */
const ISSUED_CREDENTIAL = new RegExp(
  `\\b(?:${DEFAULT_CREDENTIAL_PREFIXES.keyId}|${DEFAULT_CREDENTIAL_PREFIXES.secret})_[0-9A-Za-z]+\\b`,
  "g",
);

function leakIn(text: string): string | undefined {
  return LEAK.exec(text.replace(KNOWN_CODES, '""').replace(ISSUED_CREDENTIAL, ""))?.[0];
}
const VERIFY_STATUSES = new Set([200, 400, 401, 405, 413, 415, 429]);

// ---------------------------------------------------------------------------------------------
// A small seeded PRNG (mulberry32): the same seed gives the same requests.

class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** Picks by weight: [[weight, value], …]. */
  weighted<T>(table: ReadonlyArray<readonly [number, T]>): T {
    const total = table.reduce((sum, [w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [w, value] of table) {
      r -= w;
      if (r < 0) return value;
    }
    return table[table.length - 1]![1];
  }
}

// ---------------------------------------------------------------------------------------------
// Values: an abstract value printed either as a GraphQL literal or as JSON text (for variables),
// so huge numbers and enum names survive both ways.

type Value =
  | { kind: "string"; value: string }
  | { kind: "int"; text: string }
  | { kind: "float"; text: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "enum"; name: string }
  | { kind: "list"; items: Value[] }
  | { kind: "object"; fields: Array<[string, Value]> };

function literal(value: Value, rng: Rng): string {
  switch (value.kind) {
    case "string":
      // Block strings read escapes differently; both must be handled.
      return rng.chance(0.1) && !value.value.includes('"""') && !value.value.includes("\\")
        ? `"""${value.value}"""`
        : JSON.stringify(value.value);
    case "int":
    case "float":
      return value.text;
    case "boolean":
      return String(value.value);
    case "null":
      return "null";
    case "enum":
      return value.name;
    case "list":
      return `[${value.items.map((item) => literal(item, rng)).join(", ")}]`;
    case "object":
      return `{ ${value.fields.map(([name, v]) => `${name}: ${literal(v, rng)}`).join(", ")} }`;
  }
}

function jsonText(value: Value): string {
  switch (value.kind) {
    case "string":
      return JSON.stringify(value.value);
    case "int":
    case "float":
      return value.text;
    case "boolean":
      return String(value.value);
    case "null":
      return "null";
    case "enum":
      return JSON.stringify(value.name);
    case "list":
      return `[${value.items.map(jsonText).join(",")}]`;
    case "object":
      return `{${value.fields.map(([name, v]) => `${JSON.stringify(name)}:${jsonText(v)}`).join(",")}}`;
  }
}

const ODD_STRINGS = [
  "",
  " ",
  "\t",
  "acme ",
  " acme",
  "ACME",
  "' OR 1=1 --",
  '"; DROP TABLE project; --',
  "<img src=x onerror=alert(1)>",
  "${jndi:ldap://x}",
  "../../etc/passwd",
  "%00",
  "{{7*7}}",
  "\r\nX-Injected: 1",
  "\u0000",
  "\u202Eevil",
  "👩‍💻",
  "😀".repeat(101),
  "\uD800",
  "\uFEFFacme",
  "é".repeat(100),
  "e\u0301".repeat(60),
  "NaN",
  "-1",
  "1e309",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "__proto__",
  "constructor",
];

const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-",
  " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
  "\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u007f\u0085\u2028\u2029",
  "äöüßéèêñçøåæœłśźżčřšžαβγδλπσωжщыяאבגדהابتثج中文字符日本語한국어",
  "😀🔑🗝️👩‍💻🏳️‍🌈\u200d\u200b\u202e\u2066\ufeff",
];

function randomString(rng: Rng): string {
  const shape = rng.weighted([
    [3, "odd"],
    [4, "alphabet"],
    [0.5, "huge"],
    [1, "mixed"],
  ] as const);
  let text: string;
  if (shape === "odd") text = rng.pick(ODD_STRINGS);
  // Mostly inside the 64 KB body limit, sometimes past it once escaped.
  else if (shape === "huge") text = rng.pick(["x", "é", "ab", "x", "\u0000"]).repeat(1_000 + rng.int(12_000));
  else {
    const length = rng.pick([1, 2, 5, 36, 100, 101, 128, 129, 255, 256, 1_000]);
    const alphabets = shape === "mixed" ? ALPHABETS : [rng.pick(ALPHABETS)];
    const chars: string[] = [];
    for (let i = 0; i < length; i++) chars.push(rng.pick(Array.from(rng.pick(alphabets))));
    text = chars.join("");
  }
  // A value the server echoes in a message must not look like a leak of its own.
  return LEAK.test(text) ? "x" : text;
}

const HUGE_INTS = ["2147483647", "2147483648", "-2147483649", "9007199254740993", "1" + "0".repeat(400), "-0", "0"];
const FLOATS = ["1.5", "1e400", "-1e-400", "0.0", "6.02e23"];

/** A value of any shape, ignoring the expected type. */
function anyValue(rng: Rng, depth = 0): Value {
  const kind = rng.weighted([
    [5, "string"],
    [3, "int"],
    [1, "float"],
    [1, "boolean"],
    [2, "null"],
    [1, "enum"],
    [depth < 3 ? 1 : 0, "list"],
    [depth < 3 ? 1 : 0, "object"],
  ] as const);
  switch (kind) {
    case "string":
      return { kind, value: randomString(rng) };
    case "int":
      return { kind, text: rng.chance(0.5) ? rng.pick(HUGE_INTS) : String(rng.int(2_000_000) - 1_000) };
    case "float":
      return { kind, text: rng.pick(FLOATS) };
    case "boolean":
      return { kind, value: rng.chance(0.5) };
    case "null":
      return { kind };
    case "enum":
      return { kind, name: rng.pick(["ACTIVE", "REVOKED", "ADMIN", "true", "null_", "SECRET_CREATED", "Foo"]) };
    case "list":
      return { kind, items: Array.from({ length: rng.int(4) }, () => anyValue(rng, depth + 1)) };
    case "object":
      return {
        kind,
        fields: Array.from({ length: rng.int(4) }, () => [
          rng.pick(["projectId", "id", "name", "gracePeriodSeconds", "extra", "input"]),
          anyValue(rng, depth + 1),
        ]),
      };
  }
}

/** The ids and projects the fuzzer draws "plausible" values from. */
interface Pool {
  projects: string[];
  secretIds: string[];
}

/** A value of the expected type, plausible for the argument's name, or (sometimes) anything. */
function valueFor(type: GraphQLInputType, name: string, rng: Rng, pool: Pool, noise: number, depth = 0): Value {
  if (rng.chance(0.15 * noise) || depth > 4) return anyValue(rng, depth);
  if (isNonNullType(type)) return valueFor(type.ofType, name, rng, pool, noise, depth);
  if (rng.chance(0.05 * noise)) return { kind: "null" };
  if (isListType(type)) {
    const items = Array.from({ length: rng.int(3) }, () => valueFor(type.ofType, name, rng, pool, noise, depth + 1));
    return { kind: "list", items };
  }
  if (isInputObjectType(type)) {
    const fields: Array<[string, Value]> = [];
    for (const field of Object.values(type.getFields())) {
      if (rng.chance(isNonNullType(field.type) ? 0.05 * noise : 0.4)) continue;
      fields.push([field.name, valueFor(field.type, field.name, rng, pool, noise, depth + 1)]);
    }
    if (rng.chance(0.05 * noise))
      fields.push([rng.pick(["extra", "projectID", "__proto__"]), anyValue(rng, depth + 1)]);
    return { kind: "object", fields };
  }
  if (isEnumType(type)) return { kind: "enum", name: rng.pick(type.getValues()).name };
  if (isScalarType(type)) {
    switch (type.name) {
      case "Int":
        if (name === "first") return { kind: "int", text: String(rng.pick([0, 1, 2, 10, 20, 100, 101, -1])) };
        if (name === "gracePeriodSeconds") {
          return { kind: "int", text: String(rng.pick([0, 0, 1, 60, 3_600, 604_800, 604_801, -1])) };
        }
        return { kind: "int", text: String(rng.int(1_000)) };
      case "ID":
      case "String":
        if (name === "projectId") return { kind: "string", value: rng.pick(pool.projects) };
        if (name === "id") return { kind: "string", value: rng.pick(pool.secretIds) };
        if (name === "after") return { kind: "string", value: rng.pick(["", "abc", "MjAyMA", randomString(rng)]) };
        return { kind: "string", value: rng.chance(0.5) ? `Fuzz ${rng.int(1_000)}` : randomString(rng) };
      case "Boolean":
        return { kind: "boolean", value: rng.chance(0.5) };
      default:
        return anyValue(rng, depth);
    }
  }
  return anyValue(rng, depth);
}

// ---------------------------------------------------------------------------------------------
// Documents

interface Operation {
  /** The JSON request body as text (variables may hold numbers JSON.stringify cannot write). */
  body: string;
  rootFields: string[];
}

const VARIABLE_TYPES = [
  "String",
  "String!",
  "Int",
  "Int!",
  "ID!",
  "[ID!]!",
  "Boolean",
  "JSONObject",
  "Foo",
  "CreateSecretInput",
  "RotateSecretInput!",
];
const DIRECTIVES = [
  "@include(if: true)",
  "@skip(if: false)",
  "@include(if: false)",
  "@skip(if: true)",
  '@include(if: "yes")',
  "@include",
  "@skip(if: true, if: false)",
  "@deprecated",
  '@specifiedBy(url: "x")',
  "@nope",
  "@include(if: $missing)",
];
const GARBAGE_TOKENS = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ":",
  "$",
  "@",
  "...",
  "!",
  "=",
  "|",
  "&",
  ",",
  "query",
  "mutation",
  "subscription",
  "fragment",
  "on",
  "true",
  "null",
  "apiSecrets",
  "createSecret",
  "rotateSecret",
  "revokeSecret",
  "auditEvents",
  "projectAccess",
  "__schema",
  "__typename",
  '"acme"',
  '"unterminated',
  '"""',
  '"\\u12"',
  '"\\uD800"',
  "#comment\n",
  "1",
  "-0",
  "1.5e",
  "0x1F",
  "\u0000",
  "é",
  "😀",
];

class DocumentBuilder {
  private readonly fragments: string[] = [];
  private readonly variables: Array<{ name: string; type: string; value?: Value; default?: Value }> = [];
  private aliases = 0;

  /**
   * `noise` scales every deliberate flaw: 0 builds operations valid against the schema (their
   * values may still be refused by the resolvers' own checks), 1 breaks them in many ways.
   */
  constructor(
    private readonly rng: Rng,
    private readonly schema: GraphQLSchema,
    private readonly pool: Pool,
    private readonly noise: number,
  ) {}

  /** True with probability `p` scaled by the noise: a chance to break the operation. */
  private flaw(p: number): boolean {
    return this.rng.chance(p * this.noise);
  }

  build(): Operation {
    const rng = this.rng;
    const mutation = rng.chance(0.45);
    const root = mutation ? this.schema.getMutationType() : this.schema.getQueryType();
    if (!root) throw new Error("schema without a root type");
    const fields = Object.values(root.getFields());
    const chosen = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(fields));
    const selections = chosen.map((field, i) => this.rootField(field, i, chosen.indexOf(field) !== i));
    if (this.flaw(0.04)) selections.push(rng.pick(["apiSecretz", "secrets", "node", "__schema { types { name } }"]));
    if (this.flaw(0.03)) selections.push('__type(name: "ApiSecret") { name fields { name } }');

    const varDefs = this.variables.map(
      (v) => `$${v.name}: ${v.type}${v.default ? ` = ${literal(v.default, rng)}` : ""}`,
    );
    const keyword = mutation ? "mutation" : this.flaw(0.25) ? "subscription" : rng.pick(["query", ""]);
    const name = rng.chance(0.3) ? ` Op${rng.int(3)}` : "";
    const header =
      keyword || name || varDefs.length
        ? `${keyword || "query"}${name}${varDefs.length ? `(${varDefs.join(", ")})` : ""} `
        : "";
    const opDirective = this.flaw(0.03) ? ` ${rng.pick(DIRECTIVES)}` : "";
    let document = `${header}${opDirective}{ ${selections.join(" ")} }${this.fragments.map((f) => `\n${f}`).join("")}`;
    if (this.flaw(0.05)) document += `\nquery Other { __typename }`;
    if (this.flaw(0.08)) document = mutate(document, rng);

    const variableEntries = this.variables.flatMap((v) =>
      v.value ? [`${JSON.stringify(v.name)}:${jsonText(v.value)}`] : [],
    );
    if (this.flaw(0.05)) variableEntries.push(`"unused":${jsonText(anyValue(rng))}`);
    const parts = [`"query":${JSON.stringify(document)}`];
    if (variableEntries.length || rng.chance(0.1)) parts.push(`"variables":{${variableEntries.join(",")}}`);
    if (this.flaw(0.15)) {
      parts.push(`"operationName":${rng.pick(['"Op0"', '"Op1"', '"Other"', "null", "42", '""'])}`);
    }
    return { body: `{${parts.join(",")}}`, rootFields: chosen.map((f) => f.name) };
  }

  /** A root field; a repeated one gets its own alias unless the operation is meant to clash. */
  private rootField(field: GraphQLField<unknown, unknown>, index: number, repeated: boolean): string {
    const rng = this.rng;
    const alias = this.flaw(0.2)
      ? `${rng.pick(["a", "b", "x_"])}${rng.int(3)}: `
      : repeated || rng.chance(0.1)
        ? `r${index}: `
        : "";
    const args = this.arguments(field.args);
    return `${alias}${field.name}${args}${this.selection(field.type, 0)}`;
  }

  private arguments(args: readonly GraphQLArgument[]): string {
    const rng = this.rng;
    const printed: string[] = [];
    for (const arg of args) {
      if (isNonNullType(arg.type) ? this.flaw(0.05) : rng.chance(0.4)) continue;
      const value = valueFor(arg.type, arg.name, rng, this.pool, this.noise);
      if (rng.chance(0.4)) {
        const name = `v${this.variables.length}`;
        const type = this.flaw(0.2) ? rng.pick(VARIABLE_TYPES) : String(arg.type);
        const variable: (typeof this.variables)[number] = { name, type };
        if (!this.flaw(0.08)) variable.value = this.flaw(0.15) ? anyValue(rng) : value;
        if (this.flaw(0.05)) variable.default = anyValue(rng);
        this.variables.push(variable);
        printed.push(`${arg.name}: $${this.flaw(0.03) ? "undeclared" : name}`);
      } else {
        printed.push(`${arg.name}: ${literal(value, rng)}`);
      }
    }
    if (this.flaw(0.05)) printed.push(`${rng.pick(["extra", "projectID", "first"])}: ${literal(anyValue(rng), rng)}`);
    if (this.flaw(0.03) && printed[0]) printed.push(printed[0]);
    return printed.length ? `(${printed.join(", ")})` : this.flaw(0.02) ? "()" : "";
  }

  /** One of the type's fields with a selection of its own where it needs one. */
  private anyField(type: GraphQLObjectType, depth: number): string {
    const field = this.rng.pick(Object.values(type.getFields()));
    return `${field.name}${depth < 6 ? this.selection(field.type, depth + 1) : ""}`;
  }

  private selection(type: Parameters<typeof getNamedType>[0], depth: number): string {
    const rng = this.rng;
    const named = getNamedType(type);
    if (!isObjectType(named)) return this.flaw(0.03) ? " { id }" : "";
    if (this.flaw(0.03)) return "";
    const fields = Object.values((named as GraphQLObjectType).getFields());
    const parts: string[] = [];
    for (let i = 0, n = 1 + rng.int(Math.min(5, fields.length)); i < n; i++) {
      const field = rng.pick(fields);
      const alias = this.flaw(0.05) ? `f${rng.int(3)}: ` : rng.chance(0.05) ? `f${this.aliases++}: ` : "";
      const directive = rng.chance(0.06) ? ` ${rng.pick(this.flaw(0.5) ? DIRECTIVES : DIRECTIVES.slice(0, 4))}` : "";
      const bogusArgs = this.flaw(0.02) ? `(x: ${literal(anyValue(rng), rng)})` : "";
      parts.push(
        `${alias}${field.name}${bogusArgs}${directive}${depth < 6 ? this.selection(field.type, depth + 1) : ""}`,
      );
    }
    if (rng.chance(0.15)) parts.push("__typename");
    if (this.flaw(0.03)) parts.push(rng.pick(["secret", "secretHash", "password", "nope"]));
    if (rng.chance(0.08)) {
      const on = this.flaw(0.15) ? rng.pick(["ApiSecret", "Query", "Credential", "Nope"]) : named.name;
      parts.push(`... on ${on} { ${this.anyField(named, depth)} }`);
    }
    if (rng.chance(0.06)) {
      const name = `F${this.fragments.length}`;
      this.fragments.push(""); // reserves the name; nested fragments come after it
      const body = this.flaw(0.05) ? `...${name}` : this.anyField(named, depth);
      const on = this.flaw(0.1) ? rng.pick(["ApiSecret", "Nope", "String"]) : named.name;
      this.fragments[Number(name.slice(1))] = `fragment ${name} on ${on} { ${body} }`;
      parts.push(`...${this.flaw(0.05) ? "Missing" : name}`);
    }
    if (this.flaw(0.02)) this.fragments.push(`fragment Unused${this.fragments.length} on ${named.name} { __typename }`);
    return ` { ${parts.join(" ")} }`;
  }
}

/** Deletes, duplicates or inserts a slice: near-valid documents reach the parser's corners. */
function mutate(document: string, rng: Rng): string {
  const at = rng.int(document.length);
  const length = 1 + rng.int(12);
  switch (rng.int(3)) {
    case 0:
      return document.slice(0, at) + document.slice(at + length);
    case 1:
      return document.slice(0, at) + document.slice(at, at + length).repeat(2 + rng.int(3)) + document.slice(at);
    default:
      return document.slice(0, at) + rng.pick(GARBAGE_TOKENS) + document.slice(at);
  }
}

function garbageDocument(rng: Rng): string {
  if (rng.chance(0.3)) return randomString(rng);
  return Array.from({ length: 1 + rng.int(120) }, () => rng.pick(GARBAGE_TOKENS)).join(rng.pick([" ", "", "\n"]));
}

/** A request body around an operation, sometimes with the transport itself wrong. */
function requestBody(
  rng: Rng,
  build: () => Operation,
): { body: string | Buffer; rootFields: string[]; built: boolean } {
  const shape = rng.weighted([
    [80, "operation"],
    [8, "garbage document"],
    [3, "query not a string"],
    [3, "variables not an object"],
    [2, "persisted query"],
    [2, "not JSON"],
    [2, "deep JSON"],
  ] as const);
  switch (shape) {
    case "operation":
      return { ...build(), built: true };
    case "garbage document":
      return { body: JSON.stringify({ query: garbageDocument(rng) }), rootFields: [], built: false };
    case "query not a string":
      return {
        body: `{"query":${rng.pick(["42", "null", "true", "[]", '{"query":"{ __typename }"}', '["{ __typename }"]'])}}`,
        rootFields: [],
        built: false,
      };
    case "variables not an object":
      return {
        body: `{"query":"query ($p: ID!) { apiSecrets(projectId: $p) { id } }","variables":${rng.pick(['"acme"', "[]", "42", "true", '"{\\"p\\":\\"acme\\"}"'])}}`,
        rootFields: ["apiSecrets"],
        built: false,
      };
    case "persisted query":
      return {
        body: JSON.stringify({
          ...(rng.chance(0.5) ? { query: "{ __typename }" } : {}),
          extensions: {
            persistedQuery: { version: rng.pick([1, 2, "1"]), sha256Hash: randomString(rng).slice(0, 80) },
          },
        }),
        rootFields: [],
        built: false,
      };
    case "not JSON":
      return {
        body: rng.pick([
          "",
          "{",
          "null",
          '"{ __typename }"',
          "[]",
          "{'query': '{ __typename }'}",
          '{"query":"{ __typename }"',
          Buffer.from([0xff, 0xfe, 0x7b, 0x00]),
          Buffer.from('\ufeff{"query":"{ __typename }"}'),
        ]),
        rootFields: [],
        built: false,
      };
    case "deep JSON":
      return {
        body: `{"query":"{ __typename }","variables":{"x":${"[".repeat(5_000)}${"]".repeat(5_000)}}}`,
        rootFields: [],
        built: false,
      };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP, over a keep-alive agent so thousands of requests do not each open a connection.

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function send(agent: Agent, baseUrl: string, { method, path, headers, body }: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Node frames a GET, DELETE or OPTIONS body only when told its length; unframed, it would
    // be read as the next request on the connection.
    const framed = body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
    const req = httpRequest(new URL(path, baseUrl), { method, headers: framed, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    // A connection closed without an answer is a finding too: status 0, with the reason.
    req.on("error", (error: NodeJS.ErrnoException) => {
      resolve({ status: 0, headers: {}, text: `connection failed: ${error.code ?? error.message}` });
    });
    req.end(body);
  });
}

/** Runs `tasks` with at most CONCURRENCY in flight; results stay in task order. */
async function inBatches<T>(count: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CONCURRENCY, count - start) }, (_, i) => task(start + i));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

interface GraphQLErrorShape {
  message?: unknown;
  extensions?: { code?: unknown; stacktrace?: unknown };
}

/** What is wrong with an answer, if anything: the properties every fuzzed response must have. */
function problemsWith(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.status >= 500 || answer.status === 0) problems.push(`HTTP ${answer.status}`);
  const leak = leakIn(answer.text);
  if (leak !== undefined) problems.push(`leaks ${leak}`);
  let parsed: { errors?: GraphQLErrorShape[] } | undefined;
  try {
    parsed = JSON.parse(answer.text) as typeof parsed;
  } catch {
    if (answer.text !== "") problems.push("body is not JSON");
  }
  for (const error of parsed?.errors ?? []) {
    if (error.extensions?.code === "INTERNAL_SERVER_ERROR") problems.push("INTERNAL_SERVER_ERROR");
    if (error.extensions?.stacktrace !== undefined) problems.push("stacktrace extension");
  }
  return problems;
}

function outcomeOf(answer: Answer): string {
  try {
    const parsed = JSON.parse(answer.text) as { errors?: GraphQLErrorShape[]; data?: unknown };
    const code = parsed.errors?.[0]?.extensions?.code;
    if (typeof code === "string") return code;
    return parsed.data ? "ok" : `HTTP ${answer.status}`;
  } catch {
    return `HTTP ${answer.status}`;
  }
}

interface Failure {
  seed: number;
  case: number;
  problems: string[];
  request: unknown;
  response: string;
}

/** Failures grouped by what went wrong, each group with its count and first case. */
function summarise(failures: Failure[]): unknown[] {
  const groups = new Map<string, { count: number; first: Failure }>();
  for (const failure of failures) {
    const key = `${failure.problems.join(", ")} | ${failure.response.replace(/"(?:locations|path)":\[[^\]]*\],?/g, "").slice(0, 160)}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { count: 1, first: failure });
  }
  return [...groups.values()];
}

function tallied(outcomes: Map<string, number>): string {
  const total = [...outcomes.values()].reduce((sum, n) => sum + n, 0);
  return `${total} ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`;
}

/** Counts calls into the services behind the resolvers: proof the fuzzer got past validation. */
function spyOnServices() {
  const spies = {
    "apiSecrets.list": jest.spyOn(ApiSecretService.prototype, "list"),
    "apiSecrets.create": jest.spyOn(ApiSecretService.prototype, "create"),
    "apiSecrets.rotate": jest.spyOn(ApiSecretService.prototype, "rotate"),
    "apiSecrets.revoke": jest.spyOn(ApiSecretService.prototype, "revoke"),
    "auditEvents.page": jest.spyOn(AuditEventService.prototype, "page"),
  };
  return {
    calls: () => Object.fromEntries(Object.entries(spies).map(([name, spy]) => [name, spy.mock.calls.length])),
    restore: () => {
      for (const spy of Object.values(spies)) spy.mockRestore();
    },
  };
}

function basic(keyId: string, secret: string): string {
  return `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`;
}

describeEachDatabase("fuzzing", (createDatabase) => {
  const server = useTestServer(createDatabase, {
    // The limits have their own suite: here they would turn most of the run into 429s.
    RATE_LIMIT_MUTATIONS_PER_MINUTE: "100000",
    RATE_LIMIT_FAILED_VERIFICATIONS_PER_IP: "1000000",
    RATE_LIMIT_FAILED_VERIFICATIONS_PER_KEY_ID: "1000000",
    LOG_LEVEL: "info",
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let schema: GraphQLSchema;
  let pool: Pool;
  let authorizations: Array<readonly [number, string | undefined]>;
  let credentials: { live: Revealed; graced: Revealed; rotatedAway: Revealed; revoked: Revealed };

  beforeAll(async () => {
    process.stdout.write(`fuzz seed ${SEED} (rerun with FUZZ_SEED=${SEED})\n`);
    schema = await buildKeyturnSchema();
    const admin = await hostToken({ acme: "admin", beta: "admin" });
    const viewer = await hostToken({ acme: "viewer" });
    const outsider = await hostToken({ other: "admin" }, { sub: "mallory@example.com" });
    const verifier = await hostToken({ verify: "admin" }, { sub: "verifier@example.com" });

    const secretIds: string[] = [];
    for (const [token, project] of [
      [admin, "acme"],
      [admin, "acme"],
      [admin, "beta"],
      [outsider, "other"],
    ] as const) {
      secretIds.push((await createSecret(server, token, project)).id);
    }
    const revokedInAcme = await createSecret(server, admin, "acme", "Revoked");
    await server.graphql(REVOKE_SECRET, { input: { id: revokedInAcme.id } }, admin);
    secretIds.push(revokedInAcme.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid");
    pool = { projects: ["acme", "acme", "beta", "other", "nope", "a".repeat(129)], secretIds };

    // Credentials in a project no fuzzed token may change, for the verification routes.
    const live = await createSecret(server, verifier, "verify", "Live");
    const graced = await createSecret(server, verifier, "verify", "Graced");
    await rotateSecret(server, verifier, graced.id, 3_600);
    const rotatedAway = await createSecret(server, verifier, "verify", "Rotated");
    await rotateSecret(server, verifier, rotatedAway.id);
    const revoked = await createSecret(server, verifier, "verify", "Revoked");
    await server.graphql(REVOKE_SECRET, { input: { id: revoked.id } }, verifier);
    credentials = { live, graced, rotatedAway, revoked };

    authorizations = [
      [50, `Bearer ${admin}`],
      [20, `Bearer ${viewer}`],
      [15, undefined],
      [3, `Bearer ${await hostToken({ acme: "admin" }, { expiresIn: "-1h" })}`],
      [3, `Bearer ${await hostToken({ acme: "admin" }, { secret: "another-secret-that-is-long-enough-0123456789" })}`],
      [2, `Bearer ${await hostToken({})}`],
      [2, "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwicHJvamVjdHMiOnsiYWNtZSI6ImFkbWluIn19."],
      [2, "Bearer not.a.jwt"],
      [1, "Basic YWRtaW46YWRtaW4="],
      [1, "Bearer"],
      [1, `Bearer ${"a".repeat(4_000)}`],
    ];
  });

  afterAll(() => {
    agent.destroy();
  });

  it(`answers ≥ ${PER_ROOT_FIELD} generated operations per root field with no 5xx, INTERNAL_SERVER_ERROR, stack trace or driver text`, async () => {
    const rng = new Rng(SEED);
    const logStart = server.logs.length;
    const perField = new Map<string, number>();
    const outcomes = new Map<Shape, Map<string, number>>();
    const failures: Failure[] = [];
    const resolvers = spyOnServices();
    const started = performance.now();

    // Generated up front from the seed alone, so a seed always means the same requests.
    type Shape = "valid operation" | "broken operation" | "malformed request";
    const rootFields = [
      ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
    ];
    const generate = (): Sent & { rootFields: string[]; shape: Shape } => {
      const noise = rng.chance(0.5) ? 0 : 1;
      const { body, rootFields, built } = requestBody(rng, () => new DocumentBuilder(rng, schema, pool, noise).build());
      const shape: Shape = !built ? "malformed request" : noise ? "broken operation" : "valid operation";
      const authorization = rng.weighted(authorizations);
      const headers: Record<string, string> = {
        "content-type": rng.weighted([
          [94, "application/json"],
          [2, "application/json; charset=utf-8"],
          [1, "application/graphql-response+json"],
          [1, "application/graphql"],
          [1, "text/plain"],
          [1, "application/x-www-form-urlencoded"],
        ] as const),
        "user-agent": rng.chance(0.9)
          ? "keyturn-fuzz"
          : randomString(rng)
              .replace(/[^\t\x20-\x7e]/g, "")
              .slice(0, 500),
        ...(authorization ? { authorization } : {}),
      };
      if (rng.chance(0.03)) {
        // The same operations over GET, where only queries may run.
        const query = /^\{"query":("(?:[^"\\]|\\.)*")/.exec(String(body))?.[1];
        const search = new URLSearchParams({ query: query ? (JSON.parse(query) as string) : "{ __typename }" });
        const get = {
          method: "GET",
          path: `/graphql?${search.toString()}`,
          headers: { ...headers },
          rootFields,
          shape,
        };
        delete get.headers["content-type"];
        if (rng.chance(0.7)) get.headers["apollo-require-preflight"] = "true";
        return get;
      }
      const method = rng.chance(0.01) ? rng.pick(["PUT", "PATCH", "DELETE"]) : "POST";
      return { method, path: "/graphql", headers, body, rootFields, shape };
    };
    const requests: Array<ReturnType<typeof generate>> = [];
    while (rootFields.some((field) => (perField.get(field) ?? 0) < PER_ROOT_FIELD)) {
      const request = generate();
      // Whatever the server echoes must not look like a leak of its own: such requests are skipped.
      if (leakIn(`${request.path} ${String(request.body)}`) !== undefined) continue;
      for (const field of new Set(request.rootFields)) perField.set(field, (perField.get(field) ?? 0) + 1);
      requests.push(request);
    }

    const answers = await inBatches(requests.length, (i) => send(agent, server.baseUrl, requests[i]!));
    const elapsedMs = performance.now() - started;
    const reached = resolvers.calls();
    resolvers.restore();

    answers.forEach((answer, i) => {
      const request = requests[i]!;
      const outcome = outcomeOf(answer);
      const tally = outcomes.get(request.shape) ?? new Map<string, number>();
      outcomes.set(request.shape, tally.set(outcome, (tally.get(outcome) ?? 0) + 1));
      const problems = problemsWith(answer);
      if (problems.length) {
        failures.push({
          seed: SEED,
          case: i,
          problems,
          request: { ...request, body: String(request.body).slice(0, 600) },
          response: `${answer.status} ${answer.text.slice(0, 600)}`,
        });
      }
    });
    const errorLogs = server.logs.slice(logStart).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

    process.stdout.write(
      `fuzz seed ${SEED}: ${answers.length} GraphQL operations in ${Math.round(elapsedMs)} ms on ${server.database.dialect}\n` +
        `  per root field: ${JSON.stringify(Object.fromEntries([...perField].sort()))}\n` +
        [...outcomes].map(([shape, tally]) => `  ${shape}s (by outcome): ${tallied(tally)}\n`).join("") +
        `  service calls from resolvers: ${JSON.stringify(reached)}\n`,
    );
    expect(summarise(failures)).toEqual([]);
    expect(errorLogs.slice(0, 3)).toEqual([]);
    // Resolvers ran and refused in every way they can: not only the parser was tested.
    const expectedOutcomes = [
      "ok",
      "BAD_USER_INPUT",
      "FORBIDDEN",
      "UNAUTHENTICATED",
      "NOT_FOUND",
      "CONFLICT",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_PARSE_FAILED",
    ];
    const seen = new Set([...outcomes.values()].flatMap((tally) => [...tally.keys()]));
    expect(expectedOutcomes.filter((outcome) => !seen.has(outcome))).toEqual([]);
    // Every service method behind a resolver ran, many times over.
    expect(Object.entries(reached).filter(([, calls]) => calls < PER_ROOT_FIELD / 50)).toEqual([]);
  }, 120_000);

  it(`answers ${VERIFY_CASES} fuzzed verification requests with only 200/400/401/405/413/415/429`, async () => {
    const rng = new Rng(SEED ^ 0x7e51f1);
    const format = new CredentialFormat();
    const { live, graced, rotatedAway, revoked } = credentials;
    const all = [live, graced, rotatedAway, revoked];
    const keyIds = () => rng.pick([...all.map((c) => c.keyId), format.generate().keyId, randomString(rng)]);
    const secrets = () =>
      rng.pick([...all.map((c) => c.secret), format.generate().secret, randomString(rng), `${live.secret}x`]);
    const jsonValue = () =>
      rng.chance(0.5) ? JSON.stringify(rng.chance(0.5) ? keyIds() : secrets()) : jsonText(anyValue(rng));

    const verifyBody = (): string | Buffer =>
      rng.weighted<() => string | Buffer>([
        [
          30,
          () =>
            JSON.stringify(
              rng.chance(0.3) ? { keyId: live.keyId, secret: live.secret } : { keyId: keyIds(), secret: secrets() },
            ),
        ],
        [15, () => `{"keyId":${jsonValue()},"secret":${jsonValue()}}`],
        [5, () => `{"__proto__":{"keyId":${JSON.stringify(live.keyId)},"secret":${JSON.stringify(live.secret)}}}`],
        [
          5,
          () =>
            `{"keyId":${JSON.stringify(live.keyId)},"keyId":${JSON.stringify(revoked.keyId)},"secret":${JSON.stringify(live.secret)}}`,
        ],
        [10, () => jsonText(anyValue(rng))],
        [5, () => JSON.stringify({ keyId: "k".repeat(rng.pick([4_000, 4_096, 5_000, 8_000])), secret: "s" })],
        [10, () => garbageDocument(rng)],
        [5, () => Buffer.from(Array.from({ length: rng.int(300) }, () => rng.int(256)))],
        [3, () => ""],
      ])();
    const authorization = (): string | undefined =>
      rng.weighted<() => string | undefined>([
        [
          25,
          () =>
            basic(rng.chance(0.5) ? live.keyId : keyIds(), rng.chance(0.5) ? live.secret : secrets()).slice(0, 8_000),
        ],
        [10, () => basic(randomString(rng), randomString(rng)).slice(0, 8_000)],
        [5, () => `Basic ${Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256))).toString("base64")}`],
        [5, () => `Basic ${Buffer.from(`${live.keyId}${live.secret}`).toString("base64")}`],
        [5, () => `basic   ${Buffer.from(`${live.keyId}:${live.secret}`).toString("base64")}  `],
        [5, () => `Basic ${"A".repeat(rng.pick([1_023, 1_025, 4_000]))}`],
        [5, () => `Bearer ${live.secret}`],
        [5, () => rng.pick(["Basic", "Basic ", "Basic ===", "Basic %%%", "Digest x", "Basic Og==", "Basic OjpvOjo="])],
        [5, () => undefined],
      ])();

    const requests = Array.from({ length: VERIFY_CASES }, (): Sent => {
      const route = rng.chance(0.6) ? "/v1/verify" : "/analytics/v1/report";
      const expectedMethod = route === "/v1/verify" ? "POST" : "GET";
      const method = rng.chance(0.85)
        ? expectedMethod
        : rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]);
      const path = rng.chance(0.1)
        ? `${route}?${rng.pick(["x=1", "keyId=a&secret=b", "%zz", "a=" + "b".repeat(1_000)])}`
        : route;
      const headers: Record<string, string> = {};
      const auth = route === "/analytics/v1/report" || rng.chance(0.1) ? authorization() : undefined;
      if (auth !== undefined) headers.authorization = auth;
      if (rng.chance(0.1))
        headers["x-forwarded-for"] = rng.pick(["203.0.113.9", "not-an-ip", "1.1.1.1, 2.2.2.2", "::1"]);
      let body: string | Buffer | undefined;
      if (method !== "GET" && method !== "HEAD" ? true : rng.chance(0.05)) {
        body = verifyBody();
        headers["content-type"] = rng.weighted([
          [80, "application/json"],
          [4, "application/json; charset=utf-8"],
          [3, "APPLICATION/JSON"],
          [3, "text/plain"],
          [3, "application/x-www-form-urlencoded"],
          [3, "application/json-patch+json"],
          [2, ""],
          [2, "application/jsonx"],
        ] as const);
        if (headers["content-type"] === "") delete headers["content-type"];
      }
      return { method, path, headers, ...(body === undefined ? {} : { body }) };
    });

    const started = performance.now();
    const answers = await inBatches(requests.length, (i) => send(agent, server.baseUrl, requests[i]!));
    const elapsedMs = performance.now() - started;
    const statuses = new Map<number, number>();
    const failures: Failure[] = [];
    answers.forEach((answer, i) => {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const request = requests[i]!;
      const problems = [
        ...(VERIFY_STATUSES.has(answer.status) ? [] : [`HTTP ${answer.status}`]),
        ...(leakIn(answer.text) === undefined ? [] : ["leaks driver text"]),
        ...(answer.headers["cache-control"] === "no-store" ? [] : ["not no-store"]),
      ];
      if (problems.length) {
        failures.push({
          seed: SEED,
          case: i,
          problems,
          request: { ...request, body: String(request.body).slice(0, 300) },
          response: `${answer.status} ${answer.text.slice(0, 300)}`,
        });
      }
    });
    process.stdout.write(
      `fuzz seed ${SEED}: ${answers.length} verification requests in ${Math.round(elapsedMs)} ms on ${server.database.dialect}\n` +
        `  statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}\n`,
    );
    expect(summarise(failures)).toEqual([]);
    expect([200, 400, 401, 405, 413, 415].filter((status) => !statuses.has(status))).toEqual([]);
    // And the server is still serving: a valid credential still verifies.
    const after = await send(agent, server.baseUrl, {
      method: "POST",
      path: "/v1/verify",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ keyId: live.keyId, secret: live.secret }),
    });
    expect(after.status).toBe(200);
  }, 120_000);
});
