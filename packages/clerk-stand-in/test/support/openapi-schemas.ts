import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";

/**
 * Validates the stand-in's answers against Clerk's own OpenAPI documents.
 *
 * Why ajv: it is the most used and best kept JSON Schema validator for Node and
 * reports every mismatch with its path. Clerk's specs are OpenAPI 3.0.3, whose
 * schema dialect differs from JSON Schema in three ways that are converted here:
 * `nullable` (becomes a null alternative), `discriminator` with `mapping` (ajv
 * rejects mappings; the oneOf branches are already told apart by their enums, so
 * it is dropped), and OpenAPI-only annotations (`example`, `x-*`) that strict
 * ajv would refuse. Everything that constrains a value is kept as written.
 */

type Schema = Record<string, unknown>;
type OpenApiDocument = {
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; requestBody?: unknown }>>;
  components: { schemas: Record<string, Schema>; responses?: Record<string, unknown> };
  "x-webhooks"?: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }>;
};

const SCHEMA_MAPS = ["properties", "patternProperties"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf"];
const SCHEMA_SINGLES = ["items", "not", "additionalProperties"];

export function toJsonSchema(node: unknown): unknown {
  if (!node || typeof node !== "object" || Array.isArray(node)) return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === "nullable" || key === "discriminator" || key === "example" || key.startsWith("x-")) continue;
    if (key === "$ref" && typeof value === "string") out.$ref = value.replace("#/components/schemas/", "#/$defs/");
    else if (SCHEMA_MAPS.includes(key) && value && typeof value === "object") {
      out[key] = Object.fromEntries(Object.entries(value as Schema).map(([name, sub]) => [name, toJsonSchema(sub)]));
    } else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) out[key] = value.map(toJsonSchema);
    else if (SCHEMA_SINGLES.includes(key)) out[key] = toJsonSchema(value);
    else out[key] = value;
  }
  if (source.nullable !== true) return out;
  const canWidenType = typeof out.type === "string" && !out.$ref && !SCHEMA_LISTS.some((k) => k in out);
  if (canWidenType) {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: "null" }, out] };
}

function loadDocument(file: string): OpenApiDocument {
  const path = fileURLToPath(new URL(`../fixtures/openapi/${file}`, import.meta.url));
  return parse(readFileSync(path, "utf8")) as OpenApiDocument;
}

function createAjv(document: OpenApiDocument, id: string): Ajv {
  const ajv = new Ajv({ allErrors: true, strictTypes: false, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addFormat("int32", { type: "number", validate: Number.isInteger });
  ajv.addFormat("int64", { type: "number", validate: Number.isInteger });
  ajv.addFormat("binary", true);
  const $defs = Object.fromEntries(
    Object.entries(document.components.schemas).map(([name, s]) => [name, toJsonSchema(s)]),
  );
  ajv.addSchema({ $id: id, $defs });
  return ajv;
}

function resolveRef<T>(document: OpenApiDocument, node: unknown): T {
  let current = node as { $ref?: string };
  while (current && typeof current.$ref === "string") {
    const path = current.$ref.replace(/^#\//, "").split("/");
    current = path.reduce<any>((value, key) => value?.[key], document);
  }
  return current as T;
}

export class OpenApiResponses {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(
    private readonly document: OpenApiDocument,
    private readonly id: string,
  ) {
    this.ajv = createAjv(document, id);
  }

  /** The compiled validator for one documented response: `GET /users/{user_id}` 200, say. */
  validatorFor(method: string, pathTemplate: string, status: number): ValidateFunction {
    const key = `${method} ${pathTemplate} ${status}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const operation = this.document.paths[pathTemplate]?.[method.toLowerCase()];
    if (!operation) throw new Error(`The spec has no operation ${method} ${pathTemplate}`);
    // Rate limiting and internal errors can answer any operation, but the spec
    // lists them only once, as shared responses; use those for unlisted statuses.
    const shared = status === 429 ? "TooManyRequests" : status >= 400 ? "ClerkErrors" : undefined;
    const documented =
      operation.responses?.[String(status)] ?? (shared && { $ref: `#/components/responses/${shared}` });
    const response = resolveRef<{ content?: Record<string, { schema: Schema }> }>(this.document, documented);
    const schema = response?.content?.["application/json"]?.schema;
    if (!schema) throw new Error(`The spec documents no JSON ${status} answer for ${method} ${pathTemplate}`);
    const validate = this.compile(schema);
    this.cache.set(key, validate);
    return validate;
  }

  /** Throws with ajv's error list when `body` does not match the documented response. */
  assertResponse(method: string, pathTemplate: string, status: number, body: unknown): void {
    const validate = this.validatorFor(method, pathTemplate, status);
    if (!validate(body)) {
      throw new Error(
        `${method} ${pathTemplate} ${status} does not match the spec:\n${this.ajv.errorsText(validate.errors, { separator: "\n" })}`,
      );
    }
  }

  assertSchema(schemaName: string, value: unknown): void {
    const validate = this.compile({ $ref: `#/components/schemas/${schemaName}` });
    if (!validate(value))
      throw new Error(`${schemaName} mismatch:\n${this.ajv.errorsText(validate.errors, { separator: "\n" })}`);
  }

  /** The request body schema of a webhook event (`user.created`…) from the webhooks spec. */
  assertWebhook(eventType: string, payload: unknown): void {
    const schema = this.document["x-webhooks"]?.[eventType]?.post.requestBody.content["application/json"]?.schema;
    if (!schema) throw new Error(`The webhooks spec has no ${eventType}`);
    const validate = this.compile(schema);
    if (!validate(payload))
      throw new Error(`${eventType} payload mismatch:\n${this.ajv.errorsText(validate.errors, { separator: "\n" })}`);
  }

  private compile(schema: Schema): ValidateFunction {
    // Local refs (#/$defs/...) must resolve inside the document that holds the definitions.
    const converted = JSON.stringify(toJsonSchema(schema)).replaceAll('"#/$defs/', `"${this.id}#/$defs/`);
    return this.ajv.compile(JSON.parse(converted) as Schema);
  }
}

let bapi: OpenApiResponses | undefined;
let webhooks: OpenApiResponses | undefined;

export function bapiSpec(): OpenApiResponses {
  bapi ??= new OpenApiResponses(loadDocument("clerk-bapi-2026-05-12.yml"), "clerk-bapi");
  return bapi;
}

export function webhooksSpec(): OpenApiResponses {
  webhooks ??= new OpenApiResponses(loadDocument("clerk-webhooks-2025-04-15.yml"), "clerk-webhooks");
  return webhooks;
}
