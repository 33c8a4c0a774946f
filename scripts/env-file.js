// Loads `.env` into process.env before anything reads a setting. Every entry point imports this first:
// the TypeScript ones (`npm run dev`, `sync:all`, `webhook:send`, `tunnel`, `db:backup`) as their first import,
// `npm start` through `scripts/start.js`. Plain JavaScript so that the production server needs no TypeScript loader.
//
// Node's own parser (process.loadEnvFile, the same one as `node --env-file`): the shell wins over the file,
// as with dotenv. DOTENV_CONFIG_PATH, dotenv's name for it, points at another file (relative to the
// current folder); without it, `.env` at the repository root, wherever the command was started from.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const asked = process.env.DOTENV_CONFIG_PATH?.trim();

/** The file read, or null when there is none (a fresh clone runs on its defaults). */
export const envFile = asked ? resolve(asked) : resolve(root, ".env");

/** The variables that came from the file, not from the shell: start-up lines say where a key came from. */
export const fromEnvFile = new Set();

if (existsSync(envFile)) {
  const before = new Set(Object.keys(process.env));
  process.loadEnvFile(envFile);
  for (const name of Object.keys(process.env)) if (!before.has(name)) fromEnvFile.add(name);
} else if (asked) {
  console.error(`DOTENV_CONFIG_PATH names ${envFile}, which does not exist.`);
  process.exit(2);
}
