import { afterEach, describe, expect, it } from "vitest";
import { counts, eventRow, sqlite, userRow } from "../support/db";
import { clerkEvent, clerkUser, signedRequest } from "../support/clerk-webhooks";
import { deliver } from "../support/webhook-route";

describe("a failing database is answered with 5xx so that Svix retries", () => {
  afterEach(() => {
    sqlite().exec("drop trigger if exists refuse_user_writes");
  });

  it("answers 503, keeps neither the user nor the ledger row, and succeeds on the retry", async () => {
    // A real SQLite failure inside the transaction, after the ledger row was written.
    sqlite().exec(
      "create trigger refuse_user_writes before insert on users begin select raise(abort, 'disk is unhappy'); end",
    );
    const user = clerkUser();
    const body = JSON.stringify(clerkEvent("user.created", user));
    const before = counts();

    const failed = await deliver(signedRequest(body, { svixId: "msg_db_failure" }));
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ error: "temporarily_unavailable" });
    expect(counts()).toEqual(before);
    expect(eventRow("msg_db_failure")).toBeUndefined();

    sqlite().exec("drop trigger refuse_user_writes");
    const retried = await deliver(signedRequest(body, { svixId: "msg_db_failure" }));
    expect(retried).toEqual({ status: 200, body: { ok: true, outcome: "created" } });
    expect(userRow(user.id)!.email).toBe(`${user.id}@example.com`);
    expect(eventRow("msg_db_failure")).toMatchObject({ status: "processed", attempts: 1 });
  });
});
