import { describe, expect, it } from "vitest";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { decideUserWrite, isBeyondClockSkew, MAX_CLOCK_SKEW_MS } from "~/db/user-writer.server";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * An `updated_at` up to five minutes ahead of this server's clock is trusted as
 * an ordering key, and one millisecond more is not (decision 006): the edge
 * itself, with the clock injected, at each place the rule is read.
 */

const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);
const EDGE = NOW + 5 * 60 * 1000;

const fields = (clerkUpdatedAt: number): ClerkUserFields =>
  clerkUserFields({
    clerkId: "user_edge",
    email: "edge@example.com",
    firstName: "Ada",
    clerkCreatedAt: NOW - 60_000,
    clerkUpdatedAt,
  });
const stored = (clerkUpdatedAt: number) => ({ ...fields(clerkUpdatedAt), deletedAt: null });

describe("the clock-skew tolerance", () => {
  it("is five minutes, in milliseconds", () => {
    expect(MAX_CLOCK_SKEW_MS).toBe(300_000);
  });

  it("accepts now + 5 minutes exactly, and refuses one millisecond more", () => {
    expect(isBeyondClockSkew(NOW, NOW)).toBe(false);
    expect(isBeyondClockSkew(EDGE, NOW)).toBe(false);
    expect(isBeyondClockSkew(EDGE + 1, NOW)).toBe(true);
  });

  it("in the writer: an incoming key at the edge is stored, one past it is future_dated", () => {
    expect(decideUserWrite(undefined, fields(EDGE), "webhook", NOW).outcome).toBe("created");
    expect(decideUserWrite(undefined, fields(EDGE + 1), "webhook", NOW).outcome).toBe("future_dated");
  });

  it("in the writer: a stored key at the edge still orders Sync's write; one past it gives way to Clerk's current state", () => {
    const older = fields(NOW - 1_000);
    expect(decideUserWrite(stored(EDGE), older, "manual", NOW).outcome).toBe("stale");
    expect(decideUserWrite(stored(EDGE + 1), older, "manual", NOW).outcome).toBe("updated");
  });

  it("at the webhook: a delivery dated at the edge lands, one dated a millisecond later is refused with 400", () => {
    const deliver = (updatedAt: number) => {
      const body = JSON.stringify(clerkEvent("user.created", clerkUser({ updated_at: updatedAt })));
      return processClerkWebhook(body, signBody(body) as never, { secrets: [TEST_WEBHOOK_SECRET], now: NOW });
    };
    expect(deliver(EDGE)).toMatchObject({ status: 200, body: { ok: true, outcome: "created" } });
    expect(deliver(EDGE + 1)).toMatchObject({ status: 400, body: { error: "invalid_payload" } });
  });
});
