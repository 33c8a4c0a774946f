import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "~/db/db.server";
import { startClerkStandIn, type ClerkStandIn } from "@clerk-sync/clerk-stand-in";
import { backfillUsersFromClerk, BackfillStopped } from "~/backfill/backfill-users.server";
import { ROOT } from "../support/app-server";
import { clerkFor, liveRows, recordingRetryPolicy } from "./support";

const USERS = 1_200;
let standIn: ClerkStandIn;
const db = () => getDb();

beforeAll(async () => {
  standIn = await startClerkStandIn({ port: 0 });
  standIn.store.seed((await import("@clerk-sync/clerk-stand-in")).generateUsers({ count: USERS }));
});
afterAll(async () => {
  await standIn?.close();
});

function runCli(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [`${ROOT}/node_modules/tsx/dist/cli.mjs`, "scripts/sync-all.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "development", LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
}

describe("sync:all when Clerk keeps failing", () => {
  it("stops after a bounded number of retries with a clear message, keeps the pages it committed, and a re-run finishes the job", async () => {
    const { policy, waits } = recordingRetryPolicy({ maxAttempts: 3 });
    let pages = 0;
    const run = backfillUsersFromClerk({
      clerk: clerkFor(standIn),
      db: db(),
      pageSize: 500,
      // One range, one page at a time: which page the fault hits is then certain.
      concurrency: 1,
      retry: policy,
      progress: {
        page() {
          // From the third page on, Clerk answers 500 until further notice.
          if (++pages === 2) standIn.faults.setApiFault("500", null);
        },
        retry() {},
        end() {},
      },
    });
    const stopped = await run.catch((error: unknown) => error);
    expect(stopped).toBeInstanceOf(BackfillStopped);
    expect((stopped as BackfillStopped).message).toMatch(
      /^Stopped after 1000 users \(page 3\): Clerk answered with an error \(HTTP 500\)\. \(gave up after 3 attempts\)$/,
    );
    expect((stopped as BackfillStopped).done).toBe(1000);
    expect(waits).toEqual([5, 5]);
    expect(liveRows(db()).size).toBe(1000);

    standIn.faults.clear();
    const resumed = await backfillUsersFromClerk({ clerk: clerkFor(standIn), db: db(), retry: policy });
    expect(resumed).toMatchObject({ listed: USERS, created: USERS - 1000, unchanged: 1000 });
    expect(liveRows(db()).size).toBe(USERS);
  });

  it("stops at once, without retrying, when the secret key is wrong", async () => {
    const { policy, waits } = recordingRetryPolicy();
    const clerk = { secretKey: "sk_test_not_this_instance_key", apiUrl: standIn.url };
    const run = backfillUsersFromClerk({ clerk, db: db(), retry: policy });
    await expect(run).rejects.toThrow(/HTTP 401.*Check CLERK_SECRET_KEY/);
    expect(waits).toEqual([]);
  });

  it("gives up on a request that hangs and asks again", async () => {
    const { policy } = recordingRetryPolicy({ requestTimeoutMs: 300 });
    standIn.faults.setApiFault("hang", 1);
    const summary = await backfillUsersFromClerk({ clerk: clerkFor(standIn), db: db(), retry: policy });
    expect(summary).toMatchObject({ listed: USERS, unchanged: USERS });
    // The hung request's retry; a healthy page slower than 300 ms on a loaded machine is retried too.
    expect(summary.retries).toBeGreaterThanOrEqual(1);
    standIn.faults.clear();
  });
});

describe("the sync:all command", () => {
  it("prints plain progress lines when not on a terminal, and the summary on stdout", async () => {
    // 16 ranges at once against a development key's 9.8 requests/s: most calls wait for a token together.
    const { code, stdout, stderr } = await runCli(["--page-size", "400", "--concurrency", "16"], {
      ...standIn.env(),
      DATABASE_URL: process.env.DATABASE_URL,
    });
    expect(code).toBe(0);
    // The first line comes after the first page written, whichever range it is from.
    expect(stderr).toMatch(/^sync:all (?!1,200)[\d,]+\/1,200 users \(\d+%\) · [\d,]+ users\/s$/m);
    expect(stderr).toMatch(/^sync:all 1,200\/1,200 users \(100%\) · [\d,]+ users\/s$/m);
    expect(stderr).not.toContain("\u001b["); // no bar, no cursor movement
    expect(stderr).not.toMatch(/Warning/);
    expect(stdout).toMatch(
      /^Clerk: your instance \([^\n]*, Backend API http:\/\/127\.0\.0\.1:\d+; keys from the shell\)\nSynced 1,200 users from Clerk in [\d.]+ s \([\d,]+ users\/s, \d+ pages\)\.\n {2}created {4}0\n {2}updated {4}0\n {2}unchanged {2}1,200\n {2}skipped {4}0\n$/,
    );
  });

  it("tells the user which setting is missing, and reads only the Clerk and database settings", async () => {
    const env = { ...standIn.env(), DATABASE_URL: process.env.DATABASE_URL, CLERK_WEBHOOK_SIGNING_SECRET: undefined };
    const missingKey = await runCli([], { ...env, CLERK_SECRET_KEY: undefined });
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toContain(
      "CLERK_SECRET_KEY is not set, although CLERK_PUBLISHABLE_KEY is (from the shell).",
    );

    const badFlag = await runCli(["--page-size", "501"], env);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("--page-size must be a whole number from 1 to 500.");

    const stopped = await runCli([], { ...env, CLERK_SECRET_KEY: "sk_test_of_another_instance" });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("Stopped after 0 users (page 1): Clerk answered with an error (HTTP 401).");
    expect(stopped.stderr).toContain("Fix the cause and run `npm run sync:all` again: it is safe to repeat.");
  });
});
