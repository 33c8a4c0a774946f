import { describe, expect, it } from "vitest";
import { generateUsers, idTimestampMs, UserStore } from "../src/index.js";

describe("the stand-in's ids", () => {
  it("carry their creation second the way Clerk's do (KSUIDs)", () => {
    // A real Clerk user id and its created_at, from a Clerk webhook fixture (tests/fixtures/clerk/seed-002-user-created.json).
    expect(idTimestampMs("user_29w83sxmDNGwOuEthce5gg56FcC")).toBe(Math.floor(1654012591514 / 1000) * 1000);

    const store = new UserStore();
    const created = store.seed([
      { email_address: ["old@example.com"], created_at: Date.UTC(2023, 0, 1, 12, 0, 0, 750) },
      { email_address: ["new@example.com"], created_at: Date.UTC(2025, 6, 1) },
    ]);
    expect(created.map((user) => idTimestampMs(user.id))).toEqual([Date.UTC(2023, 0, 1, 12), Date.UTC(2025, 6, 1)]);
    for (const user of created) expect(user.id).toMatch(/^user_[0-9A-Za-z]{27}$/);
  });

  it("sort by created_at, so users made in order are ids in order", () => {
    const store = new UserStore();
    // One user a minute: each in its own second.
    const users = generateUsers({ count: 2_000, now: Date.UTC(2026, 0, 1) }).map((user, i) => ({
      ...user,
      created_at: Date.UTC(2025, 0, 1) + i * 60_000,
    }));
    const ids = store.seed(users).map((user) => user.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
