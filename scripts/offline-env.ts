import { OFFLINE_DEMO_USER } from "../app/offline-demo.js";
import {
  startClerkStandIn,
  type ClerkStandIn,
  type ClerkUserJSON,
  type FrontendOptions,
  type Logger,
  type StandInOptions,
} from "@clerk-sync/clerk-stand-in";

/**
 * Offline Clerk for development and e2e set-up: starts the stand-in, seeds
 * the demo user, and returns the environment the app runs with. The app
 * sees ordinary Clerk variables only — no special case in app code; Clerk's
 * SDKs are pointed at the stand-in through their own settings
 * (CLERK_API_URL, CLERK_PROXY_URL, CLERK_JS).
 */

// One definition: the app's sign-in page shows the same account in offline mode.
export const DEMO_USER = OFFLINE_DEMO_USER;

export const DEFAULT_STAND_IN_PORT = 4010;
export const DEFAULT_APP_PORT = 3000;

export interface OfflineClerkOptions {
  /** Port of the stand-in on 127.0.0.1; 0 picks a free one. Default `CLERK_STAND_IN_PORT` or 4010. */
  port?: number;
  /** Where the app listens; the webhook endpoint and the redirect URLs point there. Default `PORT` or 3000. */
  appPort?: number;
  /** Webhook endpoint; default `http://localhost:<appPort>/api/webhooks/clerk`. */
  webhookUrl?: string;
  /**
   * Seed demo@clerk-sync.local now (default true), announcing it with a
   * `user.created` webhook. False leaves it to `seedDemoUser()`, e.g. once the
   * app answers, so the first delivery does not land on a closed port.
   */
  seedDemoUser?: boolean;
  /** Multiplies Svix's retry gaps; tests use small values. */
  timeScale?: number;
  frontend?: FrontendOptions;
  logger?: Logger;
  /**
   * The stand-in's SQLite state file (`npm run dev`: data/clerk-stand-in.db), so
   * a restart keeps accounts, browser sessions and keys. Absent: memory only.
   */
  stateFile?: string;
  /**
   * Where to write the stand-in's per-run control token (`{ url, token }`,
   * 0600) for the CLI (`npm run dev`: data/clerk-stand-in.control.json).
   */
  controlTokenFile?: string;
}

export interface OfflineClerk {
  standIn: ClerkStandIn;
  /** Every variable the app needs, to merge into its environment. */
  env: Record<string, string>;
  /** The app's URL as the browser must open it (same host name as the stand-in's). */
  appUrl: string;
  /** The demo user once seeded. */
  demoUser: ClerkUserJSON | null;
  /** Seeds the demo user (once) with a `user.created` webhook; returns it. */
  seedDemoUser(): ClerkUserJSON;
  close(): Promise<void>;
}

/**
 * "both" when the environment (the shell, then .env) carries a Clerk instance's keys: then nothing offline
 * starts. "partial" is a mistake worth stopping for, not a reason to go offline silently.
 */
export function realClerkKeys(env: NodeJS.ProcessEnv = process.env): "both" | "partial" | "none" {
  const set = [env.CLERK_SECRET_KEY, env.CLERK_PUBLISHABLE_KEY].filter((key) => key?.trim()).length;
  return set === 2 ? "both" : set === 1 ? "partial" : "none";
}

function portFrom(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value && Number.isInteger(parsed) && parsed >= 0 && parsed < 65536 ? parsed : fallback;
}

export async function startOfflineClerk(options: OfflineClerkOptions = {}): Promise<OfflineClerk> {
  const port = options.port ?? portFrom(process.env.CLERK_STAND_IN_PORT, DEFAULT_STAND_IN_PORT);
  const appPort = options.appPort ?? portFrom(process.env.PORT, DEFAULT_APP_PORT);
  const browserHostname = options.frontend?.browserHostname ?? "localhost";
  const appUrl = `http://${browserHostname}:${appPort}`;
  const standInOptions: StandInOptions = {
    port,
    host: "127.0.0.1",
    webhookUrls: [options.webhookUrl ?? `http://localhost:${appPort}/api/webhooks/clerk`],
    timeScale: options.timeScale,
    // A production-kind key: clerk-js then needs no development browser and
    // @clerk/backend no __clerk_db_jwt cookie (docs/decisions/003, FAPI).
    publishableKeyKind: "live",
    // Clerk's key format wants a dot in the host; 127.0.0.1:<port> has them and
    // stays recognisably loopback for the app's production guard.
    frontendHost: (url) => new URL(url).host,
    logger: options.logger,
    stateFile: options.stateFile,
    controlTokenFile: options.controlTokenFile,
    frontend: {
      signInUrl: "/sign-in",
      signUpUrl: "/sign-up",
      afterSignInUrl: "/profile",
      afterSignUpUrl: "/profile",
      homeUrl: "/",
      ...options.frontend,
      browserHostname,
      // CORS for the app's own page only (ports differ, so the browser asks).
      allowedOrigins: [appUrl, ...(options.frontend?.allowedOrigins ?? [])],
    },
  };
  const standIn = await startClerkStandIn(standInOptions);

  const offline: OfflineClerk = {
    standIn,
    env: {},
    appUrl,
    demoUser: null,
    seedDemoUser() {
      // Found in a remembered state, the demo user keeps its Clerk id, so the app's SQLite has one demo row.
      offline.demoUser ??=
        standIn.store.findByIdentifier(DEMO_USER.email) ??
        // Emitted, so the app's users table learns about the demo user the way it learns about anyone.
        standIn.store.seed(
          [
            {
              email_address: [DEMO_USER.email],
              password: DEMO_USER.password,
              first_name: DEMO_USER.firstName,
              last_name: DEMO_USER.lastName,
              username: DEMO_USER.username,
            },
          ],
          { emit: true, context: { source: "control" } },
        )[0];
      return offline.demoUser;
    },
    close: () => standIn.close(),
  };
  if (options.seedDemoUser ?? true) offline.seedDemoUser();

  offline.env = {
    ...standIn.env(),
    // Offline, the app trusts sessions a local stand-in mints (and a published demo
    // password): it listens on loopback only unless HOST asks for more.
    HOST: process.env.HOST?.trim() || "127.0.0.1",
    OFFLINE_MODE: "1",
    // The one origin the stand-in serves: a page opened as 127.0.0.1 is redirected here (app/canonical-origin.server.ts).
    APP_URL: appUrl,
    CLERK_TELEMETRY_DISABLED: "1",
    CLERK_SIGN_IN_URL: "/sign-in",
    CLERK_SIGN_UP_URL: "/sign-up",
    CLERK_SIGN_IN_FALLBACK_REDIRECT_URL: "/profile",
    CLERK_SIGN_UP_FALLBACK_REDIRECT_URL: "/profile",
  };
  return offline;
}
