import { afterEach, describe, expect, it, vi } from "vitest";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { withCapturedLogs } from "../support/captured-logs";
import { deliver } from "../support/webhook-route";

/**
 * Until its signature matches, a delivery's svix-id is whatever the sender put
 * there, up to Node's 16 KiB of headers, and the delivery's log line names it.
 */

const url = "http://localhost/api/webhooks/clerk";

/** The JSON lines the logger writes while `run` runs. */
const logged = async (run: () => Promise<unknown>) => (await withCapturedLogs(run)).lines;

afterEach(() => vi.restoreAllMocks());

describe("the delivery log line and the svix-id", () => {
  it("names at most 64 characters of an unverified svix-id, however long the header", async () => {
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const svixId = `msg_${"A".repeat(16_000)}`;
    const headers = { ...signBody(body), "svix-id": svixId };
    const lines = await logged(() => deliver(new Request(url, { method: "POST", headers, body })));
    const line = lines.find((l) => l.event === "clerk_webhook");
    expect(line).toMatchObject({ status: 400, outcome: "rejected" });
    expect(line!.svix_id).toBe(`${svixId.slice(0, 64)}…`);
    expect(JSON.stringify(lines).length).toBeLessThan(1_000);
  });

  it.each([
    [64, "whole", (id: string) => id],
    [65, "cut at 64 with an ellipsis", (id: string) => `${id.slice(0, 64)}…`],
  ])("an svix-id of %i characters is named %s", async (length, _label, named) => {
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const svixId = `msg_${"B".repeat(length - 4)}`;
    const headers = { ...signBody(body), "svix-id": svixId };
    const lines = await logged(() => deliver(new Request(url, { method: "POST", headers, body })));
    expect(lines.find((l) => l.event === "clerk_webhook")!.svix_id).toBe(named(svixId));
  });

  it("names a real Svix id whole", async () => {
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const headers = signBody(body);
    const lines = await logged(() => deliver(new Request(url, { method: "POST", headers, body })));
    expect(lines.find((l) => l.event === "clerk_webhook")).toMatchObject({
      status: 200,
      svix_id: headers["svix-id"],
    });
  });
});
