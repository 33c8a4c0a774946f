import { DatabaseBusyError, withLockRetry } from "~/db/lock-retry.server";
import { getDb } from "~/db/db.server";
import { listMembershipsOfUser, liveMembershipIdsWrittenSince } from "~/db/organization-reader.server";
import { tombstoneMembershipsOfUserExcept, writeClerkMembership } from "~/db/organization-writer.server";
import { users } from "~/db/schema";
import { MAX_CLOCK_SKEW_MS, writeClerkUser, type ProfileField, type UserWriteResult } from "~/db/user-writer.server";
import { writeTransaction, type WriteTransaction } from "~/db/write-transaction.server";
import { readDatabaseConfig } from "~/env.server";
import { log } from "~/logger.server";
import {
  fetchClerkUser,
  fetchClerkUserMemberships,
  type ClerkMembershipWithOrganization,
} from "~/clerk/clerk-api.server";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { ClerkError } from "~/clerk/clerk-errors.server";
import {
  compareMemberships,
  describeOrganizationChanges,
  type MembershipChange,
  type ShownMembership,
} from "./membership-changes.server";
import { describeFailure, type SyncFailure } from "./sync-failure.server";

/**
 * "Sync User Data": pull the signed-in user and their memberships from Clerk
 * and write them through the same writers as the webhook, for when a delivery
 * was missed. Clerk's list of the user's memberships is taken as complete: a
 * stored live membership it leaves out has ended in Clerk (decision 008).
 */

export type SyncUserResult =
  | { ok: true; outcome: UserWriteResult["outcome"]; changedFields: ProfileField[]; message: string }
  | { ok: false; failure: SyncFailure; message: string };

// Where the page's word is not the column's own name ("first_name" reads "First name"): a new column needs no label.
const FIELD_LABELS: Partial<Record<ProfileField, string>> = {
  imageUrl: "Avatar",
  lastSignInAt: "Last sign-in",
  banned: "Ban status",
  externalId: "External ID",
};

// Private metadata is the app's backend-only store: the page does not tell its user it exists.
const NOT_SHOWN_TO_THE_USER: ReadonlySet<ProfileField> = new Set(["privateMetadata"]);

function fieldLabel(field: ProfileField): string {
  const name = users[field].name.replaceAll("_", " ");
  return FIELD_LABELS[field] ?? name[0].toUpperCase() + name.slice(1);
}

export function describeSync(result: UserWriteResult): string {
  switch (result.outcome) {
    case "created":
      return "Profile imported from Clerk.";
    case "updated": {
      const labels = result.changedFields.filter((field) => !NOT_SHOWN_TO_THE_USER.has(field)).map(fieldLabel);
      return labels.length ? `${joinLabels(labels)} updated.` : "Profile refreshed from Clerk.";
    }
    case "unchanged":
      return "Already up to date.";
    case "stale":
      // Something newer than Clerk's own copy was stored here (a made-up test event, a clock ahead): say so.
      return "The stored copy is newer than what Clerk returned, so nothing changed.";
    case "future_dated":
      return `Clerk's copy is dated more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of this server's clock, so nothing changed. The server's clock may be wrong.`;
    case "tombstoned":
    case "deleted":
    case "already_deleted":
      return "This account has been deleted.";
  }
}

function joinLabels(labels: string[]): string {
  if (labels.length === 1) return labels[0];
  return `${labels.slice(0, -1).join(", ")} and ${labels.at(-1)!.toLowerCase()}`;
}

/** The profile's sentence, then what changed in the user's organizations; "Already up to date" only when nothing did. */
export function describeUserSync(result: UserWriteResult, changes: readonly MembershipChange[]): string {
  if (changes.length === 0) return describeSync(result);
  const organizations = describeOrganizationChanges(changes);
  if (result.outcome === "unchanged") return organizations;
  return `${PROFILE_KEPT_WHILE_ORGANIZATIONS_CHANGED[result.outcome] ?? describeSync(result)} ${organizations}`;
}

// Followed by what changed in the user's organizations, "so nothing changed" would be untrue: only the profile was kept.
const PROFILE_KEPT_WHILE_ORGANIZATIONS_CHANGED: Partial<Record<UserWriteResult["outcome"], string>> = {
  stale: "The stored profile is newer than what Clerk returned, so it was kept.",
  future_dated: `Clerk's copy of the profile is dated more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of this server's clock, so it was not stored. The server's clock may be wrong.`,
};

const shownByOrganization = (userClerkId: string, tx: WriteTransaction): ShownMembership[] =>
  listMembershipsOfUser(userClerkId, tx).map((membership) => ({
    key: membership.organizationClerkId,
    name: membership.name ?? membership.slug ?? membership.organizationClerkId,
    role: membership.role,
  }));

/**
 * The user and every membership Clerk listed, in one transaction; then the user's stored live memberships
 * Clerk left out become tombstones, except those another door wrote after the listing was read (a
 * `organizationMembership.created` that landed meanwhile is newer news than the listing).
 */
function writeUserAndMemberships(
  tx: WriteTransaction,
  user: ClerkUserFields,
  memberships: readonly ClerkMembershipWithOrganization[],
  listedAt: number,
) {
  const now = Date.now();
  const before = shownByOrganization(user.clerkId, tx);
  const kept = new Set(liveMembershipIdsWrittenSince({ userClerkId: user.clerkId }, listedAt, tx));
  const result = writeClerkUser(tx, user, "manual", now);
  for (const { membership, organization } of memberships) {
    writeClerkMembership(tx, membership, organization, "manual", now);
    kept.add(membership.clerkId);
  }
  tombstoneMembershipsOfUserExcept(tx, user.clerkId, kept, "manual", now);
  return { result, changes: compareMemberships(before, shownByOrganization(user.clerkId, tx)) };
}

export async function syncUserFromClerk(userId: string): Promise<SyncUserResult> {
  const started = performance.now();
  try {
    // Everything from Clerk first: the write lock is never held across a network call.
    const listedAt = Date.now();
    // One after the other: a failed first call costs no second request against Clerk's rate limit.
    const fields = await fetchClerkUser(userId);
    const memberships = await fetchClerkUserMemberships(userId);
    const { result, changes } = await withLockRetry(
      () => writeTransaction(getDb(), (tx) => writeUserAndMemberships(tx, fields, memberships, listedAt)),
      { totalMs: readDatabaseConfig().busyTimeoutMs, label: "manual_sync" },
    );
    log.info("manual_sync", {
      clerk_user_id: userId,
      outcome: result.outcome,
      memberships: memberships.length,
      membership_changes: changes.length,
      ms: Math.round(performance.now() - started),
    });
    return {
      ok: true,
      outcome: result.outcome,
      changedFields: result.changedFields,
      message: describeUserSync(result, changes),
    };
  } catch (error) {
    if (!(error instanceof ClerkError) && !(error instanceof DatabaseBusyError)) throw error;
    log.warn("manual_sync_failed", {
      clerk_user_id: userId,
      kind: error.kind,
      ms: Math.round(performance.now() - started),
    });
    return { ok: false, failure: error, message: describeFailure(error) };
  }
}
