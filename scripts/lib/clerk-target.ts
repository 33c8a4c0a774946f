import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { callControl, readControlTokenFile, resolveControlTarget } from "@clerk-sync/clerk-stand-in";
import { ConfigError, frontendApiHostFromPublishableKey } from "~/env.server";
import { envFile, fromEnvFile } from "../env-file.js";

/**
 * Which Clerk a command talks to. The keys in the shell or in `.env` (your instance) win; without them, the
 * offline stand-in that `npm run dev` (or `npm run clerk:stand-in`) is running, found through the control
 * file it writes; without either, a ConfigError that names both ways. The commands print `describe` as their
 * first line, so that nobody syncs the wrong Clerk by surprise.
 */

type Env = Record<string, string | undefined>;

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Where `npm run dev` and `npm run clerk:stand-in` write `{ url, token }` (0600) while they run. */
export const STAND_IN_CONTROL_FILE = join(root, "data", "clerk-stand-in.control.json");

export interface ClerkTarget {
  /** The environment to read settings from: the caller's, plus the stand-in's keys when it is the one. */
  env: Env;
  offline: boolean;
  /** One line: which Clerk, and where its settings came from. */
  describe: string;
}

/** The variable a command cannot do without: keys for the Backend API, the signing secret for webhooks. */
export type ClerkNeed = "api-keys" | "webhook-secret";

function has(env: Env, name: string): boolean {
  return Boolean(env[name]?.trim());
}

function satisfied(env: Env, need: ClerkNeed): boolean {
  return need === "api-keys"
    ? has(env, "CLERK_SECRET_KEY") && has(env, "CLERK_PUBLISHABLE_KEY")
    : has(env, "CLERK_WEBHOOK_SIGNING_SECRET") || has(env, "CLERK_WEBHOOK_SECRET");
}

function origin(names: string[], env: Env, source: Set<string>, file: string): string {
  const present = names.filter((name) => has(env, name));
  if (present.length > 0 && present.every((name) => source.has(name))) return `from ${file}`;
  if (present.some((name) => source.has(name))) return `from the shell and ${file}`;
  return "from the shell";
}

function describeInstance(env: Env, need: ClerkNeed, source: Set<string>, file: string): string {
  const names =
    need === "api-keys"
      ? ["CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY"]
      : ["CLERK_WEBHOOK_SIGNING_SECRET", "CLERK_WEBHOOK_SECRET"];
  const from = origin(names, env, source, file);
  if (need === "webhook-secret") return `Clerk: your instance's webhook signing secret (${from})`;
  const frontend = frontendApiHostFromPublishableKey(env.CLERK_PUBLISHABLE_KEY?.trim() ?? "");
  const api = env.CLERK_API_URL?.trim() || "https://api.clerk.com";
  return `Clerk: your instance (${frontend ? `${frontend}, ` : ""}Backend API ${api}; keys ${from})`;
}

export interface FindClerkOptions {
  env?: Env;
  /** The variables that came from the env file, and its name, for the first line. */
  fromFile?: Set<string>;
  file?: string;
  controlFile?: string;
}

export async function findClerk(need: ClerkNeed, options: FindClerkOptions = {}): Promise<ClerkTarget> {
  const env = options.env ?? process.env;
  const fromFile = options.fromFile ?? fromEnvFile;
  const file = options.file ?? envFile;
  const shownFile = file.startsWith(root) ? file.slice(root.length) : file;
  if (satisfied(env, need)) {
    return { env, offline: false, describe: describeInstance(env, need, fromFile, shownFile) };
  }

  const keys = ["CLERK_SECRET_KEY", "CLERK_PUBLISHABLE_KEY"];
  const halfSet = keys.filter((name) => has(env, name));
  if (need === "api-keys" && halfSet.length === 1) {
    // One key of two is a mistake in the settings, not a wish for the stand-in.
    const missing = keys.find((name) => !has(env, name));
    throw new ConfigError(
      `${missing} is not set, although ${halfSet[0]} is (${origin(halfSet, env, fromFile, shownFile)}). ` +
        "Give both keys of your Clerk instance (Clerk's dashboard → API keys), or neither for the offline stand-in.",
    );
  }

  const controlFile = options.controlFile ?? STAND_IN_CONTROL_FILE;
  const shownControlFile = controlFile.startsWith(root) ? controlFile.slice(root.length) : controlFile;
  const asked = has(env, "CLERK_STAND_IN_URL") || has(env, "CLERK_STAND_IN_PORT");
  if (!asked && !readControlTokenFile(controlFile)) {
    const missing =
      need === "api-keys" ? "CLERK_SECRET_KEY and CLERK_PUBLISHABLE_KEY are" : "CLERK_WEBHOOK_SIGNING_SECRET is";
    throw new ConfigError(
      `${missing} not set (neither in the shell nor in ${shownFile}), and no offline Clerk stand-in is running ` +
        `(${shownControlFile} not found). Put your Clerk instance's values in .env (see .env.example), ` +
        "or start `npm run dev` without keys and run this again in another terminal.",
    );
  }
  const target = resolveControlTarget({ env: env as NodeJS.ProcessEnv, tokenFile: controlFile });
  let config: { env?: Record<string, string> };
  try {
    config = (await callControl(target, "/_control/config")) as { env?: Record<string, string> };
  } catch (error) {
    throw new ConfigError(
      `No Clerk keys in the shell or ${shownFile}, and the offline Clerk stand-in did not answer: ${(error as Error).message}`,
    );
  }
  if (!config.env?.CLERK_SECRET_KEY) {
    throw new ConfigError(`${target.url} answered /_control/config without keys: is it the Clerk stand-in?`);
  }
  const where = target.urlSource === controlFile ? shownControlFile : target.urlSource;
  return {
    // Its keys belong together: none of them is mixed with a half-set shell.
    env: { ...env, ...config.env, OFFLINE_MODE: "1" },
    offline: true,
    describe: `Clerk: the offline stand-in at ${target.url} (found through ${where}; no keys in the shell or ${shownFile})`,
  };
}
