import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClerkUser, clerkEvent } from "@clerk-sync/clerk-stand-in/testing";
import { freePort, ROOT } from "../support/app-server";
import { signBody } from "../support/clerk-webhooks";
import { startFakeClerk, type FakeClerk } from "../support/fake-clerk";
import { listeningAddresses, processTree } from "../support/processes";
import { copyProject, type ProjectCopy, type RunningScript } from "../support/project-copy";

/**
 * The real-account path as a new user takes it: keys pasted into `.env` of a fresh clone, nothing
 * exported in the shell. Every command reads that file; none starts the stand-in or shows the offline
 * banner. The Clerk is a small fake reached through Clerk's own settings (CLERK_API_URL and the keys),
 * under a name that is not loopback, as Clerk's is.
 */

const shell = { NODE_OPTIONS: `--import ${join(ROOT, "tests", "support", "resolve-test-hosts.js")}` };
let fake: FakeClerk;
let project: ProjectCopy;
let databasePath: string;
let appPort: number;
let standInPort: number;
const running: RunningScript[] = [];

beforeAll(async () => {
  fake = await startFakeClerk(3);
  project = copyProject();
  databasePath = join(project.dir, "data", "from-dotenv.db");
  [appPort, standInPort] = [await freePort(), await freePort()];
  project.writeEnvFile({
    ...fake.env,
    DATABASE_URL: databasePath,
    PORT: String(appPort),
    // Were the launcher to start a stand-in after all, this is where it would listen.
    CLERK_STAND_IN_PORT: String(standInPort),
    LOG_LEVEL: "warn",
  });
});

afterAll(async () => {
  for (const script of running) if (script.child.exitCode === null) script.interrupt();
  await Promise.all(running.map((script) => script.exited));
  await fake?.close();
  project?.remove();
});

function start(script: string): RunningScript {
  const run = project.npm(script, [], shell);
  running.push(run);
  return run;
}

async function reaches(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return true;
  } catch {
    return false;
  }
}

async function deliver(userId: string): Promise<Response> {
  const body = JSON.stringify(clerkEvent("user.created", buildClerkUser({ id: userId, first_name: "Dotenv" })));
  return fetch(`http://127.0.0.1:${appPort}/api/webhooks/clerk`, {
    method: "POST",
    headers: signBody(body, { secret: fake.env.CLERK_WEBHOOK_SIGNING_SECRET }),
    body,
  });
}

function storedIds(): string[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return (db.prepare("select clerk_id from users order by clerk_id").all() as { clerk_id: string }[]).map(
      (row) => row.clerk_id,
    );
  } finally {
    db.close();
  }
}

describe("keys in .env, nothing in the shell", () => {
  it("npm run dev runs on them: no stand-in, no offline banner, the webhook verifies with .env's secret into .env's database", async () => {
    const dev = start("dev");
    await dev.waitFor(/\[remix-serve\] http/);
    expect(dev.output()).toContain("Clerk keys from .env: running against your Clerk instance (clerk.fake-clerk.test)");
    expect(dev.output()).not.toContain("OFFLINE MODE");
    expect(await reaches(`http://127.0.0.1:${standInPort}/`)).toBe(false);
    // A development server is for this machine, with real keys too: the app and Remix's own dev server.
    const listening = listeningAddresses(processTree(dev.child.pid!));
    expect(listening).toContain(`127.0.0.1:${appPort}`);
    for (const address of listening) expect(address).toMatch(/^(127\.\d+\.\d+\.\d+|0:0:0:0:0:0:0:1):\d+$/);

    const home = await fetch(`http://127.0.0.1:${appPort}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).not.toContain("Offline mode");

    const delivered = await deliver("user_from_dev_with_dotenv");
    expect(delivered.status).toBe(200);
    expect(storedIds()).toContain("user_from_dev_with_dotenv");

    dev.interrupt();
    await dev.exited;
    // The development build has folders of its own: nothing that `npm start` would serve.
    expect(existsSync(join(project.dir, ".cache", "dev", "index.js"))).toBe(true);
    expect(existsSync(join(project.dir, "build"))).toBe(false);
  });

  it("npm run sync:all reads them, and its first line says which Clerk it talks to", async () => {
    const sync = await start("sync:all").exited;
    expect(sync.code).toBe(0);
    expect(sync.output.split("\n")[0]).toBe(
      `Clerk: your instance (clerk.fake-clerk.test, Backend API http://api.fake-clerk.test:${fake.port}; keys from .env)`,
    );
    expect(fake.requests.some((request) => request.startsWith("GET /v1/users?"))).toBe(true);
    for (const user of fake.users) expect(storedIds()).toContain(user.id);
  });

  it("npm start refuses a development build in one line, and runs on them after npm run build", async () => {
    mkdirSync(join(project.dir, "build"), { recursive: true });
    writeFileSync(join(project.dir, "build", "index.js"), 'var mode = "development";\nexport { mode };\n');
    const refused = await start("start").exited;
    expect(refused.code).toBe(1);
    expect(refused.output.trim()).toBe(
      "build/ holds a development build, not a production one: run `npm run build` first.",
    );

    expect((await start("build").exited).code).toBe(0);
    const server = start("start");
    await server.waitFor(/\[remix-serve\] http/);
    expect((await fetch(`http://127.0.0.1:${appPort}/healthz`)).status).toBe(200);
    const home = await (await fetch(`http://127.0.0.1:${appPort}/`)).text();
    expect(home).not.toContain("Offline mode");
    expect((await deliver("user_from_start_with_dotenv")).status).toBe(200);
    expect(storedIds()).toContain("user_from_start_with_dotenv");
    server.interrupt();
    await server.exited;
  });
});
