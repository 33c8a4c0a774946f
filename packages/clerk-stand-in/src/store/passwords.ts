import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { StandInError } from "../errors.js";

// N=2^14 is node's default cost: slow enough to be a real hash, fast enough
// that creating users through the API stays snappy.
const COST = 16384;
const KEY_LENGTH = 32;

export function assertAcceptablePassword(password: string): void {
  if (password.length < 8) {
    const message = "Passwords must be 8 characters or more.";
    throw new StandInError(422, "form_password_length_too_short", message, message, { param_name: "password" });
  }
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LENGTH, { N: COST });
  return `scrypt$${COST}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function passwordMatches(password: string, stored: string): boolean {
  const [scheme, cost, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = scryptSync(password, Buffer.from(salt, "base64"), expected.length, { N: Number(cost) });
  return timingSafeEqual(actual, expected);
}
