import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildClerkUser } from "@clerk-sync/clerk-stand-in/testing";
import { formatSummary } from "../../scripts/lib/backfill-report";
import { backfillUsersFromClerk, BackfillStopped, type BackfillOptions } from "~/backfill/backfill-users.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { getDb } from "~/db/db.server";
import { ROOT } from "../support/app-server";
import { clerkEvent, signedRequest } from "../support/clerk-webhooks";
import { userRow } from "../support/db";
import { deliver } from "../support/webhook-route";
import { recordingRetryPolicy, UNLIMITED } from "./support";

/**
 * `sync:all` against a Backend API that is broken or hostile: a small HTTP
 * server in this file answers `/v1/users` the way each case needs. Whatever it
 * does, the run stops with one clear message (no stack), frees every request it
 * gave up on, stays under 300 MB, and stores no ordering key from the future.
 */

const SECRET_KEY = "sk_test_hostile_clerk_key_000000";
const MB = 1024 * 1024;

interface Seen {
  url: URL;
  /** The client closed the connection before the answer was complete. */
  abandoned: boolean;
}

let server: Server;
let apiUrl: string;
let seen: Seen[] = [];
let answer: (res: ServerResponse, url: URL, req: IncomingMessage) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://clerk.invalid");
    const record: Seen = { url, abandoned: false };
    seen.push(record);
    res.on("close", () => {
      if (!res.writableFinished) record.abandoned = true;
    });
    answer(res, url, req);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  server.closeAllConnections();
  seen = [];
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const BASE = Date.now() - 365 * 24 * 3600 * 1000;
function clerkUser(i: number, overrides: Record<string, unknown> = {}) {
  return buildClerkUser({
    id: `user_hostile${String(i).padStart(6, "0")}`,
    created_at: BASE + i,
    updated_at: BASE + i,
    ...overrides,
  });
}

const json = { "content-type": "application/json" };
const send = (res: ServerResponse, body: unknown) => res.writeHead(200, json).end(JSON.stringify(body));

/** Answers Clerk's way where the case does not differ: the count, and the first and last user (limit 1). */
function wellBehaved(res: ServerResponse, url: URL, total: number): boolean {
  if (url.pathname === "/v1/users/count") {
    send(res, { object: "total_count", total_count: total });
    return true;
  }
  if (url.pathname === "/v1/users" && url.searchParams.get("limit") === "1") {
    send(res, [clerkUser(url.searchParams.get("order_by") === "-created_at" ? total - 1 : 0)]);
    return true;
  }
  return false;
}

/** A 200 whose body never ends: `piece()` is written as fast as the client reads, until it hangs up. */
function endless(res: ServerResponse, first: string, piece: () => string) {
  res.writeHead(200, json);
  res.write(first);
  const pump = () => {
    while (!res.destroyed) {
      if (!res.write(piece())) {
        res.once("drain", pump);
        return;
      }
    }
  };
  pump();
}

const endlessPages = {
  users: (res: ServerResponse) => {
    let i = 0;
    endless(res, "[", () => `${JSON.stringify(clerkUser(i++))},`);
  },
  oneUser: (res: ServerResponse) =>
    endless(res, '[{"id":"user_hostile_endless","first_name":"', () => "a".repeat(65_536)),
  whitespace: (res: ServerResponse) => endless(res, "[", () => " ".repeat(65_536)),
};

function backfill(options: Partial<BackfillOptions> = {}) {
  return backfillUsersFromClerk({
    clerk: { secretKey: SECRET_KEY, apiUrl },
    db: getDb(),
    limiter: UNLIMITED,
    retry: recordingRetryPolicy({ maxAttempts: 2 }).policy,
    ...options,
  });
}

async function stopped(run: Promise<unknown>): Promise<BackfillStopped> {
  const error = await run.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(BackfillStopped);
  return error as BackfillStopped;
}

/** `npm run sync:all` as package.json runs it, reporting its peak RSS as it exits. */
function runSyncAll(args: string[] = []) {
  const script = (JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8")) as { scripts: Record<string, string> })
    .scripts["sync:all"];
  const [, ...nodeArgs] = script.split(" ");
  const reporter = fileURLToPath(new URL("./report-peak-rss.mjs", import.meta.url));
  const child = spawn(process.execPath, ["--import", reporter, ...nodeArgs, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "development",
      LOG_LEVEL: "silent",
      DATABASE_URL: process.env.DATABASE_URL,
      CLERK_SECRET_KEY: SECRET_KEY,
      CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
      CLERK_API_URL: apiUrl,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string; peakRss: number }>((resolve) =>
    child.once("close", (code) => {
      const peak = /^peak-rss-bytes (\d+)$/m.exec(stderr);
      resolve({ code, stdout, stderr: stderr.replace(/^peak-rss-bytes \d+\n/m, ""), peakRss: Number(peak?.[1]) });
    }),
  );
}

/** What a person reads when the run stops: the reason and what to do, never a stack or a runtime's own words. */
function expectOneClearStop(stderr: string, reason: RegExp) {
  const lines = stderr.trimEnd().split("\n");
  expect(lines.at(-2)).toMatch(reason);
  expect(lines.at(-1)).toBe("Fix the cause and run `npm run sync:all` again: it is safe to repeat.");
  expect(stderr).not.toMatch(/^\s+at |node:|Unhandled|Warning|Error:/m);
}

describe("a page that never ends", () => {
  it("is cut off at 500 users, at a user over 1 MiB, or at 16 MiB, each request's connection closed", async () => {
    const cases = [
      [endlessPages.users, /Clerk sent more than 500 users in one page\. \(gave up after 2 attempts\)$/],
      [endlessPages.oneUser, /Clerk sent a user over 1 MiB of JSON: not a user\. \(gave up after 2 attempts\)$/],
      [endlessPages.whitespace, /Clerk sent a page of users over 16 MiB: not a page\. \(gave up after 2 attempts\)$/],
    ] as const;
    for (const [page, reason] of cases) {
      answer = (res, url) => wellBehaved(res, url, 1_000) || page(res);
      const error = await stopped(backfill({ concurrency: 1 }));
      expect(error.message).toMatch(/^Stopped after 0 users \(page 1\): /);
      expect(error.message).toMatch(reason);
      const pages = seen.filter((request) => request.url.searchParams.get("limit") === "500");
      expect(pages).toHaveLength(2);
      await expect.poll(() => pages.every((request) => request.abandoned)).toBe(true);
      seen = [];
    }
  });

  it("stops `npm run sync:all` with one clear message, its memory under 300 MB, whichever way the page never ends", async () => {
    const kinds = Object.values(endlessPages);
    let served = 0;
    answer = (res, url) => wellBehaved(res, url, 100_000) || kinds[served++ % kinds.length](res);
    const { code, stderr, peakRss } = await runSyncAll();
    expect(code).toBe(1);
    expectOneClearStop(stderr, /^Stopped after 0 users \(page 1\): Clerk sent .*\(gave up after 5 attempts\)$/);
    // Four ranges at once (a development key's default), five attempts each before the first gave up.
    expect(served).toBeGreaterThanOrEqual(5);
    const pages = seen.filter((request) => request.url.searchParams.get("limit") === "500");
    await expect.poll(() => pages.every((request) => request.abandoned)).toBe(true);
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(300 * MB);
  });
});

describe("a page whose body trickles forever, and a count that never answers", () => {
  it("time out: each request is aborted and its connection closed, and the run stops after its attempts", async () => {
    const policy = recordingRetryPolicy({ maxAttempts: 2, requestTimeoutMs: 300 }).policy;
    answer = (res, url) => {
      if (wellBehaved(res, url, 1_000)) return;
      // One user every 20 ms: never a cap, never an end.
      let i = 0;
      res.writeHead(200, json).write("[");
      const timer = setInterval(() => res.write(`${JSON.stringify(clerkUser(i++))},`), 20);
      res.on("close", () => clearInterval(timer));
    };
    const trickled = await stopped(backfill({ retry: policy, concurrency: 1 }));
    expect(trickled.message).toBe(
      "Stopped after 0 users (page 1): Clerk did not answer within 0.3 s. (gave up after 2 attempts)",
    );
    const pages = seen.filter((request) => request.url.searchParams.get("limit") === "500");
    expect(pages).toHaveLength(2);
    await expect.poll(() => pages.every((request) => request.abandoned)).toBe(true);

    seen = [];
    answer = (res, url) => {
      if (url.pathname !== "/v1/users/count") wellBehaved(res, url, 1_000);
      // The count is never answered: no status line, nothing.
    };
    const hung = await stopped(backfill({ retry: policy }));
    expect(hung.message).toBe(
      "Stopped after 0 users (page 1): Clerk did not answer within 0.3 s. (gave up after 2 attempts)",
    );
    const counts = seen.filter((request) => request.url.pathname === "/v1/users/count");
    expect(counts).toHaveLength(2);
    await expect.poll(() => counts.every((request) => request.abandoned)).toBe(true);
  });
});

describe("a cursor that returns the same page for ever", () => {
  it("stops the run with a message naming the cursor, in process and through the command", async () => {
    const samePage = Array.from({ length: 500 }, (_, i) => clerkUser(i));
    answer = (res, url) => wellBehaved(res, url, 1_000) || send(res, samePage);
    const error = await stopped(backfill({ concurrency: 1 }));
    expect(error.message).toMatch(
      /^Stopped after \d+ users \(page \d\): Clerk answered the page after user_hostile000499 \(starting_after\) with users already read: its cursor did not move, so the walk would never end\.$/,
    );
    // The first page and the repeat; nothing more was asked.
    expect(seen.filter((request) => request.url.searchParams.get("limit") === "500")).toHaveLength(2);

    const { code, stderr } = await runSyncAll(["--concurrency", "1"]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      "Clerk answered the page after user_hostile000499 (starting_after) with users already read: its cursor did not move",
    );
    expect(stderr).not.toMatch(/\/1,000 users \(100%\)/);
  });
});

describe("malformed JSON in a 200 page", () => {
  it("is retried, then stops `npm run sync:all` with one clear line and exit code 1, no stack", async () => {
    answer = (res, url) => {
      if (url.pathname === "/v1/users/count") send(res, { object: "total_count", total_count: 3 });
      else res.writeHead(200, json).end('[{"id": "user_hostile_malformed", "email": oops}]');
    };
    const error = await stopped(backfill({ retry: recordingRetryPolicy({ maxAttempts: 3 }).policy }));
    expect(error.message).toBe(
      "Stopped after 0 users (page 1): Clerk sent a page of users that is not valid JSON. (gave up after 3 attempts)",
    );

    const { code, stderr } = await runSyncAll();
    expect(code).toBe(1);
    expectOneClearStop(
      stderr,
      /^Stopped after 0 users \(page 1\): Clerk sent a page of users that is not valid JSON\. \(gave up after 5 attempts\)$/,
    );
    expect(stderr).toMatch(/^sync:all Clerk sent a page of users that is not valid JSON: retry 2\/5 in [\d.]+ s$/m);
    expect(stderr).not.toContain("oops");
  });
});

describe("a user that is not one", () => {
  it("stops the run at once with the field named, never its data", async () => {
    const broken = { ...clerkUser(800_000), created_at: "secret-looking@example.com" };
    answer = (res, url) => {
      if (url.pathname === "/v1/users/count") send(res, { object: "total_count", total_count: 1 });
      else send(res, [broken]);
    };
    const { policy, waits } = recordingRetryPolicy();
    const error = await stopped(backfill({ retry: policy }));
    expect(error.message).toMatch(
      /^Stopped after 0 users \(page 1\): Clerk sent a user this app cannot read \(created_at: [^)]+\)\.$/,
    );
    expect(error.message).not.toContain("example.com");
    expect(waits).toEqual([]);
  });
});

describe("a Retry-After beyond what a run waits", () => {
  it("stops `npm run sync:all` at once with a message, without spinning on an overflowed timer", async () => {
    answer = (res) =>
      res
        .writeHead(429, { ...json, "retry-after": "2147484" })
        .end(JSON.stringify({ errors: [{ code: "too_many_requests", message: "Too many requests" }] }));
    const { code, stderr } = await runSyncAll();
    expect(code).toBe(1);
    expectOneClearStop(
      stderr,
      /^Stopped after 0 users \(page 1\): Clerk asked to wait 2,147,484 s before the next request \(Retry-After\), more than the 10 minutes a run waits\.$/,
    );
    expect(stderr).not.toMatch(/TimeoutOverflowWarning|waiting/);
    // The first three requests (oldest, newest, count), and none after.
    expect(seen.length).toBeLessThanOrEqual(3);
  });
});

describe("an updated_at years ahead of this clock", () => {
  const TEN_YEARS = 10 * 365 * 24 * 3600 * 1000;

  it("via the backfill: not stored and reported; the next real webhook is not stale", async () => {
    const known = clerkUser(900_100);
    expect((await deliver(signedRequest(clerkEvent("user.created", known)))).body).toMatchObject({
      outcome: "created",
    });
    const future = (user: ReturnType<typeof clerkUser>) => ({
      ...user,
      first_name: "Frozen",
      updated_at: Date.now() + TEN_YEARS,
    });
    const listing = [clerkUser(900_099), future(known), future(clerkUser(900_101))];
    answer = (res, url) => {
      if (url.pathname === "/v1/users/count") send(res, { object: "total_count", total_count: listing.length });
      else if (url.searchParams.get("limit") === "1")
        send(res, [url.searchParams.get("order_by") === "-created_at" ? listing[2] : listing[0]]);
      else send(res, listing);
    };

    const summary = await backfill();
    expect(summary).toMatchObject({
      listed: 3,
      created: 1,
      skipped: 2,
      skippedFuture: 2,
      futureDatedIds: [known.id, listing[2].id],
    });
    expect(userRow(known.id)).toMatchObject({ first_name: "Ada", clerk_updated_at: known.updated_at });
    expect(userRow(listing[2].id)).toBeUndefined();
    expect(formatSummary(summary, { prune: false })).toContain(
      `  not stored: updated_at more than 5 minutes ahead of this machine's clock (check it): ${known.id}, ${listing[2].id}\n`,
    );

    for (const user of [known, listing[2]]) {
      const real = { ...user, first_name: "Grace", updated_at: Date.now() };
      const { body } = await deliver(signedRequest(clerkEvent("user.updated", real)));
      expect(body.outcome).not.toBe("stale");
      expect(userRow(user.id)).toMatchObject({ first_name: "Grace" });
    }
  });

  it("via Sync User Data: not stored, the button says why; the next real webhook is not stale", async () => {
    const saved = { ...process.env };
    process.env.CLERK_API_URL = apiUrl;
    process.env.CLERK_SECRET_KEY = SECRET_KEY;
    // A Backend API on this machine is a stand-in to the app: offline mode is asked for, never assumed.
    process.env.OFFLINE_MODE = "1";
    try {
      const user = clerkUser(900_200);
      await deliver(signedRequest(clerkEvent("user.created", user)));
      answer = (res, url) =>
        url.pathname === `/v1/users/${user.id}`
          ? send(res, { ...user, first_name: "Frozen", updated_at: Date.now() + TEN_YEARS })
          : url.pathname === `/v1/users/${user.id}/organization_memberships`
            ? send(res, { data: [], total_count: 0 })
            : res.writeHead(404, json).end("{}");

      const result = await syncUserFromClerk(user.id);
      expect(result).toEqual({
        ok: true,
        outcome: "future_dated",
        changedFields: [],
        message:
          "Clerk's copy is dated more than 5 minutes ahead of this server's clock, so nothing changed. The server's clock may be wrong.",
      });
      expect(userRow(user.id)).toMatchObject({ first_name: "Ada", clerk_updated_at: user.updated_at });

      const real = { ...user, first_name: "Grace", updated_at: Date.now() };
      expect((await deliver(signedRequest(clerkEvent("user.updated", real)))).body).toEqual({
        ok: true,
        outcome: "updated",
      });
    } finally {
      process.env = saved;
    }
  });
});
