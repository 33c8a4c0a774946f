import { DatabaseBusyError, withLockRetry } from "~/db/lock-retry.server";
import { getDb } from "~/db/db.server";
import {
  findLiveOrganization,
  listMembersOfOrganization,
  liveMembershipIdsWrittenSince,
} from "~/db/organization-reader.server";
import {
  tombstoneClerkOrganization,
  tombstoneMembershipsOfOrganizationExcept,
  writeClerkMembership,
  writeClerkOrganization,
} from "~/db/organization-writer.server";
import { writeTransaction, type WriteTransaction } from "~/db/write-transaction.server";
import { readDatabaseConfig } from "~/env.server";
import { log } from "~/logger.server";
import {
  fetchClerkOrganization,
  fetchClerkOrganizationMemberships,
  type ClerkMembershipWithOrganization,
} from "~/clerk/clerk-api.server";
import type { ClerkOrganizationFields } from "~/clerk/clerk-organization";
import { ClerkError } from "~/clerk/clerk-errors.server";
import { compareMemberships, describeMemberChanges, type ShownMembership } from "./membership-changes.server";
import { describeFailure, type SyncFailure } from "./sync-failure.server";

/**
 * "Sync organization": pull one organization and all its memberships from
 * Clerk and write them through the webhook's writer, for when its deliveries
 * were missed. Clerk's list of members is taken as complete: a stored live
 * membership it leaves out has ended in Clerk (decision 008). An organization
 * Clerk answers 404 for has been deleted, and is tombstoned as
 * `organization.deleted` would.
 */

export type SyncOrganizationResult =
  | { ok: true; outcome: "synced"; message: string }
  | { ok: true; outcome: "deleted"; message: string }
  | { ok: false; failure: SyncFailure; message: string };

type Listing =
  | { deleted: false; organization: ClerkOrganizationFields; memberships: ClerkMembershipWithOrganization[] }
  | { deleted: true };

async function readFromClerk(organizationId: string): Promise<Listing> {
  try {
    const organization = await fetchClerkOrganization(organizationId);
    return { deleted: false, organization, memberships: await fetchClerkOrganizationMemberships(organizationId) };
  } catch (error) {
    // Either call's 404 is the organization gone: deleted before the first, or between the two.
    if (error instanceof ClerkError && error.kind === "not_found") return { deleted: true };
    throw error;
  }
}

const shownByMember = (organizationId: string, tx: WriteTransaction): ShownMembership[] =>
  listMembersOfOrganization(organizationId, tx).map((member) => ({
    key: member.userClerkId,
    name:
      [member.firstName, member.lastName].filter(Boolean).join(" ") || member.email || "a member not yet in this app",
    role: member.role,
  }));

function describeOrganizationSync(
  before: { name: string | null } | undefined,
  after: { name: string | null } | undefined,
  memberChanges: string,
): string {
  const renamed = before?.name && after?.name && before.name !== after.name ? `Renamed to ${after.name}.` : "";
  return [renamed, memberChanges].filter(Boolean).join(" ") || "Already up to date.";
}

/**
 * The organization and every membership Clerk listed, in one transaction; then the organization's stored live
 * memberships Clerk left out become tombstones, except those another door wrote after the listing was read.
 */
function writeOrganizationAndMembers(
  tx: WriteTransaction,
  organizationId: string,
  listing: Listing,
  listedAt: number,
): string {
  const now = Date.now();
  if (listing.deleted) {
    const name = findLiveOrganization(organizationId, tx)?.name;
    tombstoneClerkOrganization(tx, organizationId, "manual", now);
    return `${name ?? "This organization"} has been deleted in Clerk, so it is gone from this app too.`;
  }
  const before = { organization: findLiveOrganization(organizationId, tx), members: shownByMember(organizationId, tx) };
  const kept = new Set(liveMembershipIdsWrittenSince({ organizationClerkId: organizationId }, listedAt, tx));
  writeClerkOrganization(tx, listing.organization, "manual", now);
  for (const { membership, organization } of listing.memberships) {
    writeClerkMembership(tx, membership, organization, "manual", now);
    kept.add(membership.clerkId);
  }
  tombstoneMembershipsOfOrganizationExcept(tx, organizationId, kept, "manual", now);
  const changes = compareMemberships(before.members, shownByMember(organizationId, tx));
  return describeOrganizationSync(
    before.organization,
    findLiveOrganization(organizationId, tx),
    describeMemberChanges(changes),
  );
}

export async function syncOrganizationFromClerk(organizationId: string): Promise<SyncOrganizationResult> {
  const started = performance.now();
  try {
    // Everything from Clerk first: the write lock is never held across a network call.
    const listedAt = Date.now();
    const listing = await readFromClerk(organizationId);
    const message = await withLockRetry(
      () => writeTransaction(getDb(), (tx) => writeOrganizationAndMembers(tx, organizationId, listing, listedAt)),
      { totalMs: readDatabaseConfig().busyTimeoutMs, label: "manual_organization_sync" },
    );
    const outcome = listing.deleted ? "deleted" : "synced";
    log.info("manual_organization_sync", {
      clerk_organization_id: organizationId,
      outcome,
      memberships: listing.deleted ? 0 : listing.memberships.length,
      ms: Math.round(performance.now() - started),
    });
    return { ok: true, outcome, message };
  } catch (error) {
    if (!(error instanceof ClerkError) && !(error instanceof DatabaseBusyError)) throw error;
    log.warn("manual_organization_sync_failed", {
      clerk_organization_id: organizationId,
      kind: error.kind,
      ms: Math.round(performance.now() - started),
    });
    return { ok: false, failure: error, message: describeFailure(error) };
  }
}
