import { Webhook } from "svix";
import { z } from "zod";
import { hostnameOf, isThisMachine } from "~/loopback.server";

/**
 * Every setting the app reads, validated once. Each group can be read alone so
 * that a CLI (backfill, trigger) asks only for what it uses; the app reads all
 * of them at start-up through `env` and refuses to start on the first problem.
 */

type Source = Record<string, string | undefined>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const WHSEC = /^whsec_[A-Za-z0-9+/=]{16,}$/;

function fail(variable: string, problem: string, hint: string): never {
  throw new ConfigError(`${variable} ${problem}. ${hint}`);
}

function read(source: Source, name: string): string | undefined {
  const value = source[name]?.trim();
  return value ? value : undefined;
}

function parseOrFail<T>(schema: z.ZodType<T>, value: unknown, variable: string, hint: string): T {
  const result = schema.safeParse(value);
  if (!result.success) fail(variable, `is malformed (${result.error.issues[0]?.message})`, hint);
  return result.data;
}

// --- database ---------------------------------------------------------------

export const SQLITE_SYNCHRONOUS_LEVELS = ["OFF", "NORMAL", "FULL", "EXTRA"] as const;

export interface DatabaseConfig {
  /** Filesystem path of the SQLite file, or ":memory:". */
  path: string;
  synchronous: (typeof SQLITE_SYNCHRONOUS_LEVELS)[number];
  busyTimeoutMs: number;
}

export function databasePathFromUrl(url: string): string {
  if (url === ":memory:") return url;
  if (url.startsWith("file://")) return decodeURIComponent(new URL(url).pathname);
  if (url.startsWith("file:")) return decodeURIComponent(url.slice("file:".length).split("?")[0]);
  return url;
}

export function readDatabaseConfig(source: Source = process.env): DatabaseConfig {
  const url = read(source, "DATABASE_URL") ?? "data/app.db";
  const synchronous = parseOrFail(
    z.enum(SQLITE_SYNCHRONOUS_LEVELS),
    (read(source, "SQLITE_SYNCHRONOUS") ?? "NORMAL").toUpperCase(),
    "SQLITE_SYNCHRONOUS",
    "Use NORMAL (default) or FULL; see docs/decisions/002-sqlite-durability.md.",
  );
  const busyTimeoutMs = parseOrFail(
    z.coerce.number().int().min(0).max(60_000),
    read(source, "SQLITE_BUSY_TIMEOUT_MS") ?? "5000",
    "SQLITE_BUSY_TIMEOUT_MS",
    "Give a whole number of milliseconds, e.g. 5000.",
  );
  return { path: databasePathFromUrl(url), synchronous, busyTimeoutMs };
}

// --- webhook ----------------------------------------------------------------

export interface WebhookConfig {
  /** One or more `whsec_` secrets; several during a rotation. */
  signingSecrets: string[];
  /** A webhook body not fully received by then is answered 408. */
  bodyTimeoutMs: number;
  /** Bytes all not-yet-verified webhook bodies may hold at once; beyond it, 503 + Retry-After. */
  pendingBodyBytesMax: number;
  /** How many webhook bodies may be unverified at once, however small; beyond it, 503 + Retry-After. */
  pendingBodiesMax: number;
}

/** True when svix itself accepts the secret: its base64 must decode, not only look like base64. */
function svixAcceptsSecret(secret: string): boolean {
  try {
    new Webhook(secret);
    return true;
  } catch {
    return false;
  }
}

export function readWebhookConfig(source: Source = process.env): WebhookConfig {
  const name = read(source, "CLERK_WEBHOOK_SIGNING_SECRET") ? "CLERK_WEBHOOK_SIGNING_SECRET" : "CLERK_WEBHOOK_SECRET";
  const raw = read(source, name);
  const hint =
    "Copy the endpoint's signing secret (whsec_…) from Clerk's dashboard → Webhooks; " +
    "during a rotation give both secrets separated by a space or comma.";
  if (!raw) fail("CLERK_WEBHOOK_SIGNING_SECRET", "is not set", hint);
  const secrets = raw.split(/[\s,]+/).filter(Boolean);
  secrets.forEach((secret, i) => {
    // A value svix cannot decode would pass a pattern and then answer every delivery 503 forever.
    if (!WHSEC.test(secret) || !svixAcceptsSecret(secret)) {
      fail(name, `has a value${secrets.length > 1 ? ` (#${i + 1})` : ""} that is not a whsec_ secret`, hint);
    }
  });
  const bodyTimeoutMs = parseOrFail(
    z.coerce.number().int().min(1).max(300_000),
    read(source, "WEBHOOK_BODY_TIMEOUT_MS") ?? "10000",
    "WEBHOOK_BODY_TIMEOUT_MS",
    "Give a whole number of milliseconds, e.g. 10000.",
  );
  const pendingBodyBytesMax = parseOrFail(
    z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024),
    read(source, "WEBHOOK_PENDING_BODY_BYTES_MAX") ?? String(16 * 1024 * 1024),
    "WEBHOOK_PENDING_BODY_BYTES_MAX",
    "Give a whole number of bytes, e.g. 16777216 (16 MiB).",
  );
  const pendingBodiesMax = parseOrFail(
    z.coerce.number().int().min(1).max(100_000),
    read(source, "WEBHOOK_PENDING_BODIES_MAX") ?? "256",
    "WEBHOOK_PENDING_BODIES_MAX",
    "Give a whole number of requests, e.g. 256.",
  );
  return { signingSecrets: secrets, bodyTimeoutMs, pendingBodyBytesMax, pendingBodiesMax };
}

// --- Clerk ------------------------------------------------------------------

export interface ClerkConfig {
  publishableKey: string;
  secretKey: string;
  /** Backend API base URL; Clerk's SDK reads the same variable. */
  apiUrl: string;
  /** Host of the Frontend API, decoded from the publishable key. */
  frontendApiHost: string;
  /** Milliseconds the sync button waits for Clerk before giving up. */
  apiTimeoutMs: number;
}

export function frontendApiHostFromPublishableKey(key: string): string | null {
  const match = /^pk_(test|live)_([A-Za-z0-9+/=_-]+)$/.exec(key);
  if (!match) return null;
  const decoded = Buffer.from(match[2], "base64").toString("utf8");
  if (!decoded.endsWith("$") || decoded.length < 2) return null;
  return decoded.slice(0, -1);
}

export function readClerkConfig(source: Source = process.env): ClerkConfig {
  const keysHint = "Copy it from Clerk's dashboard → API keys, or run `npm run dev` without keys for offline mode.";
  const publishableKey = read(source, "CLERK_PUBLISHABLE_KEY");
  if (!publishableKey) fail("CLERK_PUBLISHABLE_KEY", "is not set", keysHint);
  const frontendApiHost = frontendApiHostFromPublishableKey(publishableKey);
  if (!frontendApiHost) fail("CLERK_PUBLISHABLE_KEY", "is malformed (expected pk_test_… or pk_live_…)", keysHint);
  const secretKey = read(source, "CLERK_SECRET_KEY");
  if (!secretKey) fail("CLERK_SECRET_KEY", "is not set", keysHint);
  if (!/^sk_(test|live)_\S{8,}$/.test(secretKey)) {
    fail("CLERK_SECRET_KEY", "is malformed (expected sk_test_… or sk_live_…)", keysHint);
  }
  const apiUrl = parseOrFail(
    z.url({ protocol: /^https?$/ }),
    read(source, "CLERK_API_URL") ?? "https://api.clerk.com",
    "CLERK_API_URL",
    "Leave it unset for Clerk, or give the stand-in's URL, e.g. http://localhost:4010.",
  ).replace(/\/+$/, "");
  const jwtKey = read(source, "CLERK_JWT_KEY");
  if (jwtKey && !jwtKey.includes("BEGIN PUBLIC KEY") && !/^[A-Za-z0-9+/=\s]+$/.test(jwtKey)) {
    fail("CLERK_JWT_KEY", "is malformed (expected the PEM public key from Clerk's dashboard)", keysHint);
  }
  const apiTimeoutMs = parseOrFail(
    z.coerce.number().int().min(100).max(60_000),
    read(source, "CLERK_API_TIMEOUT_MS") ?? "5000",
    "CLERK_API_TIMEOUT_MS",
    "Give a whole number of milliseconds, e.g. 5000.",
  );
  return { publishableKey, secretKey, apiUrl, frontendApiHost, apiTimeoutMs };
}

// --- the whole app ----------------------------------------------------------

export interface AppEnv {
  nodeEnv: string;
  /** Set by the offline launcher: pages show the "local Clerk stand-in" banner. */
  offlineMode: boolean;
  /**
   * The origin browsers use when a proxy or tunnel (ngrok) rewrites `Host`:
   * form posts from it pass the profile action's Origin check. Null: the
   * request's own origin only.
   */
  publicOrigin: string | null;
  database: DatabaseConfig;
  webhook: WebhookConfig;
  clerk: ClerkConfig;
}

export function isTruthy(value: string | undefined): boolean {
  return /^(1|true|yes|on)$/i.test(value?.trim() ?? "");
}

export function loadAppEnv(source: Source = process.env): AppEnv {
  const nodeEnv = read(source, "NODE_ENV") ?? "development";
  const offlineMode = isTruthy(source.OFFLINE_MODE);
  const clerk = readClerkConfig(source);
  // A deploy must never trust sessions minted by the local stand-in by accident,
  // whatever NODE_ENV says ("staging" is a deploy too): offline is asked for, never assumed.
  // Either Clerk address on this machine is a stand-in: the Frontend API, or the Backend API the JWKS come from.
  const local = isThisMachine(clerk.frontendApiHost)
    ? { variable: "CLERK_PUBLISHABLE_KEY", host: clerk.frontendApiHost }
    : isThisMachine(clerk.apiUrl)
      ? { variable: "CLERK_API_URL", host: hostnameOf(clerk.apiUrl) }
      : null;
  if (!offlineMode && local) {
    fail(
      local.variable,
      `points at a local Clerk stand-in (${local.host}) without OFFLINE_MODE=1`,
      "Set your Clerk instance's keys, or OFFLINE_MODE=1 to run offline on purpose (`npm run dev` does).",
    );
  }
  return {
    nodeEnv,
    offlineMode,
    publicOrigin: readPublicOrigin(source),
    database: readDatabaseConfig(source),
    webhook: readWebhookConfig(source),
    clerk,
  };
}

function readPublicOrigin(source: Source): string | null {
  const raw = read(source, "APP_URL");
  if (!raw) return null;
  const url = parseOrFail(
    z.url({ protocol: /^https?$/ }),
    raw,
    "APP_URL",
    "Give the address people open the app at, e.g. https://clerk-sync.example.com or your ngrok URL.",
  );
  return new URL(url).origin;
}

let cached: AppEnv | undefined;

/** The validated settings; the first call (at server start) throws on a bad variable. */
export function getEnv(): AppEnv {
  cached ??= loadAppEnv();
  return cached;
}
