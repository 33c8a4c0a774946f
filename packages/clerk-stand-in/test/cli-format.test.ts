import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { formatAge, formatDeliveries, formatExports, formatUsers, plural } from "../src/cli-format.js";
import { UserStore } from "../src/index.js";

/** The CLI's words and tables, at a fixed clock. */

const NOW = Date.UTC(2026, 10, 29, 3, 41, 7);

describe("the CLI's tables and words", () => {
  it("count in words with the right plural", () => {
    expect(plural(0, "user")).toBe("0 users");
    expect(plural(1, "user")).toBe("1 user");
    expect(plural(2, "delivery", "deliveries")).toBe("2 deliveries");
    expect(plural(12_345, "user")).toBe("12,345 users");
  });

  it("say how long ago, or how soon", () => {
    expect(formatAge(NOW, NOW)).toBe("just now");
    expect(formatAge(NOW - 12_000, NOW)).toBe("12 s ago");
    expect(formatAge(NOW - 3 * 60_000, NOW)).toBe("3 min ago");
    expect(formatAge(NOW - 5 * 3_600_000, NOW)).toBe("5 h ago");
    expect(formatAge(NOW - 86_400_000 * 3, NOW)).toBe("3 days ago");
    expect(formatAge(NOW + 5_000, NOW)).toBe("in 5 s");
    expect(formatAge(NOW + 30 * 60_000, NOW)).toBe("in 30 min");
  });

  it("head a list of one user with '1 user' and show its times in UTC", () => {
    const store = new UserStore();
    const user = store.create({ email_address: ["one@example.com"], first_name: "Only", created_at: NOW - 60_000 });
    const text = formatUsers({ total_count: 1, data: [{ ...user, updated_at: NOW - 3 * 60_000 }] }, NOW);
    expect(text.split("\n")).toEqual([
      "1 user; times in UTC",
      "",
      expect.stringMatching(/^ID +EMAIL +NAME +CREATED +UPDATED$/),
      expect.stringMatching(new RegExp(`^${user.id} +one@example.com +Only +2026-11-29 03:40:07 +3 min ago$`)),
    ]);
    expect(formatUsers({ total_count: 0, data: [] }, NOW)).toBe("No users.");
  });

  it("show a pending delivery's next attempt as a countdown and a fault beside its state", () => {
    const base = { type: "user.created" as const, user_id: "user_1", endpoint: "http://127.0.0.1:3000/hook" };
    const text = formatDeliveries(
      {
        pending: 1,
        endpoints: [base.endpoint],
        data: [
          {
            ...base,
            id: "msg_1",
            state: "pending",
            attempts: [{ at: NOW - 1_000, error: "ECONNREFUSED", latency_ms: 2 }],
            next_attempt_at: NOW + 4_000,
          },
          { ...base, id: "msg_2", state: "succeeded", attempts: [], next_attempt_at: null, fault: "reordered" },
        ],
      },
      undefined,
      NOW,
    );
    const rows = text.split("\n").map((line) => line.split(/ {2,}/));
    expect(rows[0]).toEqual(["2 deliveries (1 pending) to http://127.0.0.1:3000/hook; times in UTC"]);
    expect(rows[3]).toEqual([
      "msg_1",
      "user.created",
      "user_1",
      "pending",
      "1",
      "ECONNREFUSED",
      "2026-11-29 03:41:06",
      "in 4 s",
    ]);
    expect(rows[4]).toEqual(["msg_2", "user.created", "user_1", "succeeded (reordered)", "0", "—", "—", "—"]);
  });

  it("quote export values so that a shell gives back exactly what was printed", () => {
    const hostile = `it's $(echo pwned) \`echo pwned\` "q" \\ $HOME\nsecond line`;
    const script = `${formatExports({ HOSTILE: hostile, PLAIN: "sk_live_abc" })}\nprintf '%s|%s' "$HOSTILE" "$PLAIN"`;
    expect(execFileSync("bash", ["-c", script], { encoding: "utf8" })).toBe(`${hostile}|sk_live_abc`);
    expect(() => formatExports({ "NOT A NAME; rm": "x" })).toThrow(/not a variable name/);
  });
});
