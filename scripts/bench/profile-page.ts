/**
 * `npm run bench:profile`: the signed-in profile page (`GET /profile`) of the
 * production build, offline: the Clerk stand-in signs the demo user in
 * (`POST <proxy>/_testing/sign-in`), and its cookies go on every request.
 * Reports requests/s and p50/p99/max at fixed concurrency.
 *
 * Baseline, in the same run: the signed-out start page (`GET /`) on the same
 * server — the same SSR stack without session verification and the SQLite
 * read. Ratio = profile requests/s ÷ start-page requests/s.
 */
import { request as httpRequest } from "node:http";
import autocannon from "autocannon";
import { DEMO_USER, startOfflineClerk } from "../offline-env";
import { describeMachine, fmt, freePort, startServer } from "./support";

const CONNECTIONS = [1, 16];
const SECONDS = 8;

interface PageResult {
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  other: number;
}

async function load(url: string, headers: Record<string, string>, connections: number): Promise<PageResult> {
  const result = await autocannon({ url, connections, duration: SECONDS, headers });
  return {
    perSecond: result["2xx"] / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    ok: result["2xx"],
    other: result.non2xx + result.errors + result.timeouts,
  };
}

function probe(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function main() {
  console.log(`machine: ${describeMachine()}`);
  const appPort = await freePort();
  const offline = await startOfflineClerk({ port: 0, appPort, seedDemoUser: false });
  const app = await startServer("app", { env: { ...offline.env, PORT: String(appPort) } });
  try {
    offline.seedDemoUser();
    await offline.standIn.deliveries.waitForIdle();
    const response = await fetch(`${offline.env.CLERK_PROXY_URL}/_testing/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${offline.standIn.controlToken}` },
      body: JSON.stringify({ identifier: DEMO_USER.email, password: DEMO_USER.password, origin: offline.appUrl }),
    });
    if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`);
    const { cookies } = (await response.json()) as { cookies: { name: string; value: string; path?: string }[] };
    const cookie = cookies
      .filter((c) => (c.path ?? "/") === "/")
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
    // The app is reached on 127.0.0.1, but under the host name the session was issued for.
    const host = new URL(offline.appUrl).host;
    const signedIn = { cookie, host };
    const check = await probe(`${app.url}/profile`, signedIn);
    if (check.status !== 200 || !check.body.includes(DEMO_USER.email)) {
      throw new Error(`signed-in GET /profile answered ${check.status}; expected the demo user's profile`);
    }

    console.log(`\nGET /profile signed in vs GET / signed out (baseline), ${SECONDS} s each:`);
    console.log("conn  page       req/s  p50 ms  p99 ms  max ms     2xx  other");
    const rows: { connections: number; profile: PageResult; home: PageResult }[] = [];
    for (const connections of CONNECTIONS) {
      const home = await load(`${app.url}/`, { host }, connections);
      const profile = await load(`${app.url}/profile`, signedIn, connections);
      for (const [name, r] of [
        ["/", home],
        ["/profile", profile],
      ] as const) {
        console.log(
          `${String(connections).padStart(4)}  ${name.padEnd(9)} ${fmt(r.perSecond).padStart(6)}  ${fmt(r.p50, 1).padStart(6)}  ${fmt(r.p99, 1).padStart(6)}  ${fmt(r.max, 1).padStart(6)}  ${String(r.ok).padStart(6)}  ${String(r.other).padStart(5)}`,
        );
      }
      rows.push({ connections, profile, home });
    }
    console.log("\nratio /profile ÷ / (requests/s):");
    for (const { connections, profile, home } of rows) {
      console.log(
        `  c=${connections}: ${fmt(profile.perSecond)} / ${fmt(home.perSecond)} = ${fmt(profile.perSecond / home.perSecond, 2)}`,
      );
    }
  } finally {
    await app.stop();
    await offline.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
