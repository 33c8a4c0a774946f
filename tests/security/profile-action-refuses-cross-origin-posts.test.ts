import { beforeEach, describe, expect, it, vi } from "vitest";

// The action must not reach Clerk at all for a refused post: count every call.
const calls = vi.hoisted(() => ({ sync: 0, auth: 0 }));
vi.mock("~/sync/sync-user.server", () => ({
  syncUserFromClerk: async () => {
    calls.sync++;
    return { ok: true, outcome: "unchanged", changedFields: [], message: "Already up to date." };
  },
}));
vi.mock("~/auth.server", () => ({
  requireUserId: async () => {
    calls.auth++;
    return "user_signed_in";
  },
}));

const { action, headers } = await import("~/routes/profile");

const APP = "http://localhost:3000";

function post(headers: Record<string, string>, body: BodyInit = new URLSearchParams({ intent: "sync" })) {
  const request = new Request(`${APP}/profile`, { method: "POST", headers, body });
  return action({ request, params: {}, context: {} }) as Promise<Response>;
}

beforeEach(() => {
  calls.sync = 0;
  calls.auth = 0;
});

describe("the profile action accepts form posts from its own origin only", () => {
  it.each([
    ["another site", "https://evil.example"],
    ["another port on localhost (same-site, foreign origin)", "http://localhost:4888"],
    ["another scheme", "https://localhost:3000"],
    ["an opaque origin (sandboxed frame, no-cors from a data: page)", "null"],
  ])("refuses %s with 403, before Clerk is asked anything", async (_case, origin) => {
    const response = await post({ origin });
    expect(response.status).toBe(403);
    expect((await response.json()).message).toMatch(/only be sent from this app's own pages/);
    expect(calls).toEqual({ sync: 0, auth: 0 });
  });

  it("refuses a browser request that says it crossed sites even without Origin", async () => {
    expect((await post({ "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect(calls.sync).toBe(0);
  });

  it("accepts its own origin", async () => {
    const response = await post({ origin: APP });
    expect(response.status).toBe(200);
    expect(calls).toEqual({ sync: 1, auth: 1 });
  });

  it("accepts the origin a tunnel forwarded (ngrok rewrites Host, sets X-Forwarded-Host/-Proto)", async () => {
    const response = await post({
      origin: "https://abc123.ngrok.app",
      "x-forwarded-host": "abc123.ngrok.app",
      "x-forwarded-proto": "https",
    });
    expect(response.status).toBe(200);
    expect(calls.sync).toBe(1);
  });

  it("accepts the configured APP_URL behind a proxy that forwards nothing", async () => {
    const { readSameOriginForm } = await import("~/same-origin.server");
    const request = () =>
      new Request(`${APP}/profile`, {
        method: "POST",
        headers: { origin: "https://clerk-sync.example.com" },
        body: new URLSearchParams({ intent: "sync" }),
      });
    expect(await readSameOriginForm(request(), "https://clerk-sync.example.com")).toMatchObject({ ok: true });
    expect(await readSameOriginForm(request(), null)).toMatchObject({ ok: false, status: 403 });
  });

  it("answers 400 with a message to a body that is not a form (text/plain), without calling Clerk", async () => {
    const response = await post({ origin: APP, "content-type": "text/plain" }, "intent=sync");
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/takes a form post/);
    expect(calls.sync).toBe(0);
  });

  it("marks the page private and never stored", () => {
    const init = headers({} as never) as Record<string, string>;
    expect(init["Cache-Control"]).toBe("private, no-store");
  });
});

describe("the profile action reads at most a small form", () => {
  it("answers 413 to a form body over 16 KiB, before asking who is signed in", async () => {
    const response = await post(
      { origin: APP, "content-type": "application/x-www-form-urlencoded" },
      `intent=sync&pad=${"x".repeat(32 * 1024)}`,
    );
    expect(response.status).toBe(413);
    expect(calls).toEqual({ sync: 0, auth: 0 });
  });

  it("refuses multipart: the page's form is urlencoded, and uploads are not something it takes", async () => {
    const form = new FormData();
    form.set("intent", "sync");
    const response = await post({ origin: APP }, form);
    expect(response.status).toBe(400);
    expect(calls.sync).toBe(0);
  });
});
