import { z } from "zod";
import { paramFormatInvalid, paramUnknown } from "../errors.js";
import { isPlainObject, remoteAddress, type StandInContext } from "../http-util.js";
import type { ChangeContext, Metadata } from "../store/store.js";

/** What every Backend API resource reads from a request the same way: its query, its body, who sent it. */

export function queryOf(c: StandInContext): URLSearchParams {
  return new URL(c.req.url).searchParams;
}

/** @clerk/backend repeats array keys (`email_address=a&email_address=b`); `key[]=` is accepted too. */
export function listParam(query: URLSearchParams, key: string): string[] | undefined {
  const values = [...query.getAll(key), ...query.getAll(`${key}[]`)].flatMap((value) => value.split(","));
  const present = values.map((value) => value.trim()).filter(Boolean);
  return present.length ? present : undefined;
}

export function integerParam(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === "") return undefined;
  if (!/^-?\d+$/.test(raw)) throw paramFormatInvalid(key, `${key} must be an integer.`);
  return Number(raw);
}

export function booleanParam(query: URLSearchParams, key: string): boolean {
  const raw = query.get(key);
  if (raw === null || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  throw paramFormatInvalid(key, `${key} must be true or false.`);
}

/** Clerk's 422s for a body its schema refuses: the first unknown or malformed parameter, by name. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === "unrecognized_keys") throw paramUnknown(issue.keys[0]);
  const param = String(issue.path[0] ?? "body");
  throw paramFormatInvalid(param, `${param} ${issue.message.toLowerCase()}`);
}

/** An RFC 3339 `created_at` from a body, in ms. */
export function createdAtParam(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const createdAt = Date.parse(value);
  if (Number.isNaN(createdAt)) throw paramFormatInvalid("created_at", "created_at must be an RFC3339 date.");
  return createdAt;
}

/** What Clerk records of the request that caused a change (`event_attributes.http_request`). */
export function changeContext(c: StandInContext): ChangeContext {
  return { source: "api", userAgent: c.req.header("user-agent") ?? "", clientIp: remoteAddress(c) };
}

export const nullableString = z.string().nullable().optional();
export const metadata = z.record(z.string(), z.unknown()).optional();
export const nullableMetadata = z.record(z.string(), z.unknown()).nullable().optional();

/** Clerk's metadata merge: nested objects merge, `null` removes a key. */
export function deepMerge(target: Metadata, patch: Metadata): Metadata {
  const merged: Metadata = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (isPlainObject(value) && isPlainObject(merged[key]))
      merged[key] = deepMerge(merged[key] as Metadata, value);
    else merged[key] = value;
  }
  return merged;
}
