import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOfflineClerk } from "../../scripts/offline-env";
import { freePort, startBuiltApp, type RunningApp } from "../support/app-server";
import { startTunnelProxy } from "../support/tunnel-proxy";
import { E2E_STATE_FILE, type E2EWorld } from "./support/world";

/**
 * The whole offline world, started once for the run, the way a developer's
 * laptop has it: the Clerk stand-in delivers webhooks through an ngrok-like
 * tunnel to the production build of the app. Svix's retry schedule runs at
 * E2E_TIME_SCALE (0.001: 5 s → 5 ms, 5 min → 300 ms).
 */
export default async function globalSetup() {
  mkdirSync(join(E2E_STATE_FILE, ".."), { recursive: true });
  mkdirSync("test-results/screenshots", { recursive: true });
  if (process.env.E2E_LIVE) return liveSetup();

  const dir = mkdtempSync(join(tmpdir(), "clerk-sync-e2e-"));
  const databasePath = join(dir, "app.db");
  const appPort = await freePort();
  const tunnel = await startTunnelProxy(`http://127.0.0.1:${appPort}`);
  const offline = await startOfflineClerk({
    port: 0,
    appPort,
    webhookUrl: `${tunnel.url}/api/webhooks/clerk`,
    timeScale: Number(process.env.E2E_TIME_SCALE ?? "0.001"),
    seedDemoUser: false,
  });
  let app: RunningApp | undefined;
  try {
    app = await startBuiltApp({
      ...offline.env,
      PORT: String(appPort),
      DATABASE_URL: databasePath,
      // The hang test waits this long for Clerk before the page says so.
      CLERK_API_TIMEOUT_MS: "3000",
      LOG_LEVEL: "warn",
    });
    offline.seedDemoUser();
  } catch (error) {
    await offline.close();
    await tunnel.close();
    throw error;
  }

  const world: E2EWorld = {
    appUrl: offline.appUrl,
    standInUrl: offline.standIn.url,
    tunnelUrl: tunnel.url,
    databasePath,
    webhookSecret: offline.standIn.webhookSecret,
    controlToken: offline.standIn.controlToken,
  };
  writeFileSync(E2E_STATE_FILE, JSON.stringify(world, null, 2));

  return async () => {
    const output = app?.output() ?? "";
    writeFileSync("test-results/e2e-app.log", output);
    await app?.stop();
    await offline.close();
    await tunnel.close();
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * `npm run test:e2e:live`: the app on a real Clerk development instance. It needs
 * keys and a test user; without them the live tests skip, saying what is missing.
 */
async function liveSetup() {
  const needed = ["CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY", "E2E_CLERK_USER_EMAIL", "E2E_CLERK_USER_PASSWORD"];
  const missing = needed.filter((name) => !process.env[name]);
  if (missing.length) {
    const liveSkipReason = `set ${missing.join(", ")} to run against a real Clerk instance`;
    process.stderr.write(
      `\nLive Clerk tests skipped: ${liveSkipReason} (see docs/testing.md → Against a real Clerk instance).\n\n`,
    );
    writeFileSync(E2E_STATE_FILE, JSON.stringify({ liveSkipReason }));
    return;
  }
  const { clerkSetup } = await import("@clerk/testing/playwright");
  await clerkSetup();
  const dir = mkdtempSync(join(tmpdir(), "clerk-sync-live-"));
  const app = await startBuiltApp({
    DATABASE_URL: join(dir, "app.db"),
    // Webhooks from the real instance reach a laptop only through `npm run tunnel`;
    // the live tests exercise sign-in and the sync button, which need no webhook.
    CLERK_WEBHOOK_SIGNING_SECRET:
      process.env.CLERK_WEBHOOK_SIGNING_SECRET ?? "whsec_bGl2ZS10ZXN0cy1uZWVkLW5vLXdlYmhvb2s=",
  });
  writeFileSync(E2E_STATE_FILE, JSON.stringify({ appUrl: app.url.replace("127.0.0.1", "localhost") }));
  return async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
