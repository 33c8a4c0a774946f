import { describe, expect, it } from "vitest";
import { getDb } from "~/db/db.server";
import { tombstoneClerkUser, upsertUserFromClerk } from "~/db/user-writer.server";
import { writeTransaction } from "~/db/write-transaction.server";
import { clerkUserFields } from "../support/clerk-user-fields";
import { userRow } from "../support/db";
import { assertTombstone } from "../support/tombstone";

/**
 * What the writer answers for `user.deleted`, the outcome the webhook answers and records in its ledger:
 * "deleted" with the profile fields it erased, "deleted" with none for a user it never stored (the tombstone
 * is written anyway, so a late `user.created` cannot bring the user in), and "already_deleted" with none
 * for a user who is a tombstone already, whose row is then left exactly as it was.
 */

const T = Date.now() - 60_000;
const tombstone = (clerkId: string, now: number) =>
  writeTransaction(getDb(), (tx) => tombstoneClerkUser(tx, clerkId, "webhook", now));

describe("deleting a user", () => {
  it("a stored user: deleted, naming the profile fields that held something; again: already_deleted", () => {
    upsertUserFromClerk(
      clerkUserFields({
        clerkId: "user_stored",
        email: "stored@example.com",
        firstName: "Ada",
        clerkCreatedAt: T - 1_000,
        clerkUpdatedAt: T,
      }),
      "webhook",
    );
    expect(tombstone("user_stored", T + 1)).toEqual({
      outcome: "deleted",
      clerkId: "user_stored",
      changedFields: ["email", "firstName"],
    });
    const row = userRow("user_stored");
    assertTombstone(row);
    expect(row).toMatchObject({ deleted_at: T + 1, synced_at: T + 1, sync_source: "webhook" });

    expect(tombstone("user_stored", T + 2)).toEqual({
      outcome: "already_deleted",
      clerkId: "user_stored",
      changedFields: [],
    });
    expect(userRow("user_stored")).toEqual(row);
  });

  it("a user never stored: deleted with nothing erased, and the tombstone is there; again: already_deleted", () => {
    expect(userRow("user_never_stored")).toBeUndefined();
    expect(tombstone("user_never_stored", T)).toEqual({
      outcome: "deleted",
      clerkId: "user_never_stored",
      changedFields: [],
    });
    assertTombstone(userRow("user_never_stored"));
    expect(tombstone("user_never_stored", T + 1)).toEqual({
      outcome: "already_deleted",
      clerkId: "user_never_stored",
      changedFields: [],
    });
    expect(userRow("user_never_stored")).toMatchObject({ deleted_at: T });
  });
});
