import { randomBytes } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` random base62 characters. */
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

/** KSUID's epoch: its timestamps count seconds from 2014-05-13T16:53:20Z. */
const KSUID_EPOCH_SECONDS = 1_400_000_000;

/**
 * A prefix and a KSUID, as Clerk's ids are (`user_2g7np7Hrk0SN6kj5EDMLDaKNL0S`):
 * 27 base62 characters encoding 4 bytes of seconds since the KSUID epoch then
 * 16 random bytes, so ids sort by creation time to the second. The time shows
 * in Clerk's real ids (the fixtures' decode to their created_at), and it
 * matters downstream: an index on ids made in order grows at its end, one on
 * random ids is written all over
 * (docs/benchmarks.md#why-the-backfills-code-is-as-it-is).
 */
export function newId(prefix: string, atMs: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor(atMs / 1000) - KSUID_EPOCH_SECONDS);
  let value = BigInt(seconds >>> 0);
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(nextRandomByte());
  let out = "";
  for (let i = 0; i < 27; i++) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return `${prefix}_${out}`;
}

/** The creation second a KSUID-based id carries (ms, rounded down to the second). */
export function idTimestampMs(id: string): number {
  const ksuid = id.slice(id.lastIndexOf("_") + 1);
  let value = 0n;
  for (const char of ksuid) value = value * 62n + BigInt(BASE62.indexOf(char));
  return (Number(value >> 128n) + KSUID_EPOCH_SECONDS) * 1000;
}

export function newTraceId(): string {
  return randomBytes(16).toString("hex");
}
