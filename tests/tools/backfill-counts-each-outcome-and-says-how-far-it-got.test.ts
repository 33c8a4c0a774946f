import { describe, expect, it } from "vitest";
import { countWrite, emptySummary, stoppedBy } from "~/backfill/backfill-outcome.server";

// The summary the report prints is counted here, one write at a time; a stop says how far the run got.

describe("counting writes", () => {
  it("names at most 20 future-dated ids, and counts every one", () => {
    const summary = emptySummary(false);
    for (let i = 0; i < 21; i++) countWrite(summary, { outcome: "future_dated", clerkId: `user_${i}` });
    expect(summary.skippedFuture).toBe(21);
    expect(summary.skipped).toBe(21);
    expect(summary.futureDatedIds).toEqual(Array.from({ length: 20 }, (_, i) => `user_${i}`));
  });

  it("counts a prune's already-deleted user as nothing", () => {
    const summary = emptySummary(false);
    const before = JSON.stringify(summary);
    countWrite(summary, { outcome: "already_deleted", clerkId: "user_1" });
    expect(JSON.stringify(summary)).toBe(before);
  });
});

describe("a stop", () => {
  it("says how many were read, in the singular for one, and which page it stopped on", () => {
    const summary = emptySummary(false);
    expect(stoppedBy(new Error("boom"), summary).message).toBe("Stopped after 0 users (page 1): boom");
    summary.listed = 1;
    expect(stoppedBy(new Error("boom"), summary, "organization").message).toBe(
      "Stopped after 1 organization (page 1): boom",
    );
    summary.listed = 500;
    summary.pages = 1;
    expect(stoppedBy("text", summary).message).toBe("Stopped after 500 users (page 2): text");
  });
});
