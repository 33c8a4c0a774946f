import { describe, expect, it } from "vitest";
import { ClerkError } from "~/clerk/clerk-errors.server";
import {
  compareMemberships,
  describeMemberChanges,
  describeOrganizationChanges,
} from "~/sync/membership-changes.server";
import { describeFailure } from "~/sync/sync-failure.server";
import { describeSync, describeUserSync } from "~/sync/sync-user.server";

// The words both Sync buttons put in their live region, checked exactly: a person reads them, not a program.

const updated = (changedFields: Parameters<typeof describeSync>[0]["changedFields"]) =>
  describeSync({ outcome: "updated", clerkId: "user_1", changedFields });

describe("the user's part", () => {
  it("names one, two or three changed fields as a sentence, and never the private metadata", () => {
    expect(updated(["firstName"])).toBe("First name updated.");
    expect(updated(["firstName", "imageUrl"])).toBe("First name and avatar updated.");
    expect(updated(["firstName", "lastName", "externalId"])).toBe("First name, Last name and external id updated.");
    expect(updated(["privateMetadata", "publicMetadata"])).toBe("Public metadata updated.");
    expect(updated(["privateMetadata"])).toBe("Profile refreshed from Clerk.");
  });

  it("says a deleted account is deleted, whichever way the writer found it", () => {
    for (const outcome of ["tombstoned", "deleted", "already_deleted"] as const)
      expect(describeSync({ outcome, clerkId: "user_1", changedFields: [] })).toBe("This account has been deleted.");
  });
});

describe("the user's part beside changes in their organizations", () => {
  const joined = compareMemberships([], [{ key: "org_a", name: "Acme", role: "org:admin" }]);
  const said = (outcome: Parameters<typeof describeSync>[0]["outcome"]) =>
    describeUserSync({ outcome, clerkId: "user_1", changedFields: [] }, joined);

  it("never says nothing changed when something did: a profile kept as stored is said to be kept", () => {
    expect(said("stale")).toBe(
      "The stored profile is newer than what Clerk returned, so it was kept. Added to Acme as admin.",
    );
    expect(said("future_dated")).toBe(
      "Clerk's copy of the profile is dated more than 5 minutes ahead of this server's clock, so it was not stored. The server's clock may be wrong. Added to Acme as admin.",
    );
    for (const outcome of ["stale", "future_dated"] as const) expect(said(outcome)).not.toMatch(/nothing changed/);
  });

  it("an unchanged profile is not mentioned, any other outcome is said first", () => {
    expect(said("unchanged")).toBe("Added to Acme as admin.");
    expect(said("created")).toBe("Profile imported from Clerk. Added to Acme as admin.");
    expect(describeUserSync({ outcome: "stale", clerkId: "user_1", changedFields: [] }, [])).toBe(
      "The stored copy is newer than what Clerk returned, so nothing changed.",
    );
  });
});

describe("a failure", () => {
  const rateLimited = (retryAfter: number | null) =>
    new ClerkError({ kind: "rate_limited", status: 429, retryable: true, retryAfter, message: "429" });

  it("counts the seconds Clerk asked for, in the singular for one", () => {
    expect(describeFailure(rateLimited(1))).toBe("Clerk is busy (rate limited). Try again in 1 second.");
    expect(describeFailure(rateLimited(7))).toBe("Clerk is busy (rate limited). Try again in 7 seconds.");
    expect(describeFailure(rateLimited(null))).toBe("Clerk is busy (rate limited). Try again in a moment.");
  });
});

describe("memberships", () => {
  const shown = (key: string, name: string, role: string | null) => ({ key, name, role });

  it("says up to three changes in full, then counts the rest", () => {
    const three = compareMemberships(
      [shown("org_a", "Acme", "org:member"), shown("org_b", "Beta", "org:member")],
      [shown("org_a", "Acme Inc", "org:admin"), shown("org_c", "Gamma", "org:member")],
    );
    expect(three.length).toBe(4);
    expect(describeOrganizationChanges(three.slice(0, 3))).toBe(
      "Acme is now called Acme Inc. Role in Acme Inc changed to admin. Added to Gamma as member.",
    );
    expect(describeOrganizationChanges(three)).toBe(
      "Acme is now called Acme Inc. Role in Acme Inc changed to admin. And 2 more changes.",
    );
  });

  it("an organization page names its members the same way", () => {
    const changes = compareMemberships(
      [shown("user_a", "Ada", "org:member"), shown("user_b", "Bob", "org:member")],
      [shown("user_a", "Ada Lovelace", "org:member"), shown("user_c", "Cy", "org:admin")],
    );
    expect(describeMemberChanges(changes)).toBe("Ada is now shown as Ada Lovelace. Added Cy as admin. Removed Bob.");
  });
});
