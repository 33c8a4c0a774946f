import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Clerk and Svix ids are a prefix plus 27 base62 characters (a KSUID);
// matching the length keeps column sizes and regexes in the app honest.
export function base62(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[bytes[i] % 62];
  return out;
}

export function newId(prefix: string): string {
  return `${prefix}_${base62(27)}`;
}

export function newTraceId(): string {
  return randomBytes(16).toString("hex");
}
