import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// Clerk and Svix ids are a prefix plus 27 base62 characters (a KSUID);
// matching the length keeps column sizes and regexes in the app honest.
export function base62(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE62[nextRandomByte() % 62];
  return out;
}

// One randomBytes call per id made seeding 100k users spend seconds in the
// syscall; drawing from a pooled buffer keeps ids as random at a fraction of the cost.
let pool = Buffer.alloc(0);
let poolOffset = 0;
function nextRandomByte(): number {
  if (poolOffset >= pool.length) {
    pool = randomBytes(64 * 1024);
    poolOffset = 0;
  }
  return pool[poolOffset++];
}

export function newId(prefix: string): string {
  return `${prefix}_${base62(27)}`;
}

export function newTraceId(): string {
  return randomBytes(16).toString("hex");
}
