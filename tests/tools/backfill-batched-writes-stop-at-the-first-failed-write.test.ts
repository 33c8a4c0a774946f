import { describe, expect, it } from "vitest";
import { BatchedWrites } from "~/backfill/batched-writes.server";
import type { ClerkUserFields } from "~/clerk/clerk-user";

// Pages handed in while a write waits go in one call; once a write has failed, nothing more is written and the
// failure is what the walk sees, at its next page or when it waits for the writes to finish.

const page = (id: string) => [{ clerkId: id } as ClerkUserFields];

describe("batched writes", () => {
  it("writes the pages handed in together in one call", async () => {
    const calls: string[][] = [];
    const writes = new BatchedWrites((pages) => void calls.push(pages.flat().map((user) => user.clerkId)));
    writes.add(page("a"));
    writes.add(page("b"));
    await writes.flushed();
    expect(calls).toEqual([["a", "b"]]);
  });

  it("throws the first failed write's error at the next add and at flushed, and writes nothing after it", async () => {
    const failure = new Error("disk full");
    let calls = 0;
    const writes = new BatchedWrites(() => {
      calls++;
      throw calls === 1 ? failure : new Error("a later failure");
    });
    writes.add(page("a"));
    await expect(writes.flushed()).rejects.toBe(failure);
    expect(() => writes.add(page("b"))).toThrow(failure);
    await expect(writes.flushed()).rejects.toBe(failure);
    expect(calls).toBe(1);
  });
});
