/**
 * `npm run bench:pages`: what a browser downloads for `/`, `/sign-in` and
 * `/profile` of the production build, offline (the Clerk stand-in serves
 * clerk-js as the real Frontend API would), and how long until the page is
 * usable — cold (empty cache) and warm (the same browser, second visit), on
 * this machine's loopback and as a slow phone (Chrome's "Fast 3G" network
 * and a 4× slower CPU).
 *
 * "Usable" is what a visitor waits for on that page: the sign-in form's email
 * field on /sign-in, the user menu (drawn by clerk-js) on /profile, and
 * clerk-js loaded on / (the page's account links work before that).
 * Bytes are as transferred (after compression, headers included); JS is the
 * part of it that is script. Times are the median of RUNS loads.
 *
 * BENCH_ACCEPT_ENCODING=identity makes the browser ask for uncompressed
 * files: what the stand-in served before it compressed clerk-js.
 */
import { chromium, type BrowserContext, type CDPSession, type Page } from "playwright";
import { existsSync } from "node:fs";
import { startOfflineClerk } from "../offline-env";
import { describeMachine, fmt, freePort, startServer } from "./support";

const RUNS = Number(process.env.BENCH_RUNS ?? "3");
const ACCEPT_ENCODING = process.env.BENCH_ACCEPT_ENCODING;
const PAGES = ["/", "/sign-in", "/profile"] as const;
type PagePath = (typeof PAGES)[number];

const PROFILES = {
  loopback: null,
  // Chrome DevTools' "Fast 3G" preset, with the CPU slowed down like a mid-range phone's.
  "slow phone": {
    latency: 150 * 3.75,
    downloadThroughput: ((1.6 * 1024 * 1024) / 8) * 0.9,
    uploadThroughput: ((750 * 1024) / 8) * 0.9,
    cpu: 4,
  },
} as const;
type ProfileName = keyof typeof PROFILES;

interface Load {
  bytes: number;
  jsBytes: number;
  requests: number;
  usableMs: number;
}

async function usable(page: Page, path: PagePath) {
  if (path === "/sign-in") await page.getByLabel(/email address/i).waitFor({ state: "visible", timeout: 120_000 });
  else if (path === "/profile")
    await page.getByRole("button", { name: "Open user menu" }).waitFor({ state: "visible", timeout: 120_000 });
  else
    await page.waitForFunction(
      () => (window as unknown as { Clerk?: { loaded?: boolean } }).Clerk?.loaded === true,
      null,
      { timeout: 120_000 },
    );
}

/** Counts bytes over CDP: Network.loadingFinished carries what actually crossed the wire. */
function countBytes(cdp: CDPSession) {
  const scripts = new Set<string>();
  const totals = { bytes: 0, jsBytes: 0, requests: 0 };
  cdp.on("Network.responseReceived", (event) => {
    if (event.type === "Script") scripts.add(event.requestId);
  });
  cdp.on("Network.loadingFinished", (event) => {
    totals.requests++;
    totals.bytes += event.encodedDataLength;
    if (scripts.has(event.requestId)) totals.jsBytes += event.encodedDataLength;
  });
  return totals;
}

async function loadOnce(context: BrowserContext, url: string, path: PagePath, profile: ProfileName): Promise<Load> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const conditions = PROFILES[profile];
  if (conditions) {
    const { cpu, ...network } = conditions;
    await cdp.send("Network.emulateNetworkConditions", { offline: false, ...network });
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: cpu });
  }
  const totals = countBytes(cdp);
  const started = performance.now();
  await page.goto(url + path, { waitUntil: "commit" });
  await usable(page, path);
  const usableMs = performance.now() - started;
  // Let late requests (lazy clerk-js chunks, the favicon) finish before counting.
  await page.waitForLoadState("networkidle");
  await page.close();
  return { ...totals, usableMs };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const executablePath = existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined;
  console.log(`machine: ${describeMachine()}; Chromium ${executablePath ?? "(Playwright's)"}; ${RUNS} loads per cell`);
  if (ACCEPT_ENCODING) console.log(`Accept-Encoding: ${ACCEPT_ENCODING}`);
  const appPort = await freePort();
  const offline = await startOfflineClerk({ port: 0, appPort, seedDemoUser: false });
  const app = await startServer("app", { env: { ...offline.env, PORT: String(appPort), LOG_LEVEL: "warn" } });
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const demo = offline.seedDemoUser();
    await offline.standIn.deliveries.waitForIdle();
    // A fresh session per browser: a session token lives a minute, and the whole run takes longer.
    const signIn = async (context: BrowserContext) => {
      const response = await fetch(`${offline.standIn.url}/fapi/_testing/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${offline.standIn.controlToken}` },
        body: JSON.stringify({ user_id: demo.id, origin: offline.appUrl, domain: "localhost" }),
      });
      if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`);
      const { cookies } = (await response.json()) as { cookies: Parameters<BrowserContext["addCookies"]>[0] };
      await context.addCookies(cookies);
    };

    console.log("\nprofile     page      visit   transferred   JS          requests  usable (median)");
    for (const profile of Object.keys(PROFILES) as ProfileName[]) {
      for (const path of PAGES) {
        const cold: Load[] = [];
        const warm: Load[] = [];
        for (let run = 0; run < RUNS; run++) {
          const context = await browser.newContext({
            viewport: { width: 390, height: 844 },
            extraHTTPHeaders: ACCEPT_ENCODING ? { "accept-encoding": ACCEPT_ENCODING } : {},
          });
          if (path === "/profile") await signIn(context);
          cold.push(await loadOnce(context, offline.appUrl, path, profile));
          warm.push(await loadOnce(context, offline.appUrl, path, profile));
          await context.close();
        }
        for (const [visit, loads] of [
          ["cold", cold],
          ["warm", warm],
        ] as const) {
          const last = loads.at(-1)!;
          console.log(
            `${profile.padEnd(11)} ${path.padEnd(9)} ${visit.padEnd(5)} ${`${fmt(last.bytes / 1024)} KiB`.padStart(13)} ${`${fmt(last.jsBytes / 1024)} KiB`.padStart(11)} ${String(last.requests).padStart(9)}  ${`${fmt(median(loads.map((l) => l.usableMs)))} ms`.padStart(15)}`,
          );
        }
      }
    }
  } finally {
    await browser.close();
    await app.stop();
    await offline.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
