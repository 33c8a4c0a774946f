import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The control routes' per-run token. A launcher (`npm run dev`, the CLI's
 * `start`) writes it, with the URL it belongs to, to a file only its owner
 * can read, so that the CLI in another terminal finds it without copying.
 */

/** Where `npm run dev` and `clerk-stand-in start` keep it, relative to the repository root. */
export const DEFAULT_CONTROL_TOKEN_FILE = "data/clerk-stand-in.control.json";

export interface ControlTokenRecord {
  url: string;
  token: string;
}

export function generateControlToken(): string {
  return `sct_${randomBytes(24).toString("base64url")}`;
}

export function writeControlTokenFile(path: string, record: ControlTokenRecord): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  // A file left by an earlier run keeps its mode through writeFileSync; set it again.
  chmodSync(path, 0o600);
}

export function readControlTokenFile(path: string): ControlTokenRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<ControlTokenRecord>;
    return typeof parsed.url === "string" && typeof parsed.token === "string"
      ? { url: parsed.url, token: parsed.token }
      : null;
  } catch {
    return null;
  }
}

/** Removes the file if it still names this run's token (a newer run may have replaced it). */
export function removeControlTokenFile(path: string, token: string): void {
  if (readControlTokenFile(path)?.token === token) rmSync(path, { force: true });
}
