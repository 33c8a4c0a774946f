import { and, asc, eq, gte, isNull } from "drizzle-orm";
import { getDb, type QueryRunner } from "./db.server";
import { organizationMemberships, organizations, users } from "./schema";

/**
 * Reads of `organizations` and `organization_memberships` for the pages. Only
 * live rows count: a tombstoned organization or membership (decision 008) is
 * gone for every reader, as is a member whose user row is a tombstone.
 */

const liveMembership = and(isNull(organizationMemberships.deletedAt), isNull(organizations.deletedAt));

export interface UserOrganization {
  name: string | null;
  slug: string | null;
  role: string | null;
}

/** The organizations `userClerkId` is a live member of, with the role in each, by name. */
export function listOrganizationsOfUser(userClerkId: string, runner: QueryRunner = getDb()): UserOrganization[] {
  return listMembershipsOfUser(userClerkId, runner).map(({ name, slug, role }) => ({ name, slug, role }));
}

/** The same, with each organization's id: what Sync compares before and after to say what it changed. */
export function listMembershipsOfUser(userClerkId: string, runner: QueryRunner = getDb()) {
  return runner
    .select({
      organizationClerkId: organizations.clerkId,
      name: organizations.name,
      slug: organizations.slug,
      role: organizationMemberships.role,
    })
    .from(organizationMemberships)
    .innerJoin(organizations, eq(organizations.clerkId, organizationMemberships.organizationClerkId))
    .where(and(eq(organizationMemberships.userClerkId, userClerkId), liveMembership))
    .orderBy(asc(organizations.name), asc(organizations.slug))
    .all() satisfies (UserOrganization & { organizationClerkId: string })[];
}

/** A live organization by its Clerk id. */
export function findLiveOrganization(clerkId: string, runner: QueryRunner = getDb()) {
  return runner
    .select({ clerkId: organizations.clerkId, name: organizations.name, slug: organizations.slug })
    .from(organizations)
    .where(and(eq(organizations.clerkId, clerkId), isNull(organizations.deletedAt)))
    .get();
}

/**
 * Live memberships of a user or of an organization that a door wrote at or after `since` (this server's
 * clock): Sync leaves them alone when its listing from Clerk, read before then, does not have them.
 */
export function liveMembershipIdsWrittenSince(
  of: { userClerkId: string } | { organizationClerkId: string },
  since: number,
  runner: QueryRunner = getDb(),
): string[] {
  const whose =
    "userClerkId" in of
      ? eq(organizationMemberships.userClerkId, of.userClerkId)
      : eq(organizationMemberships.organizationClerkId, of.organizationClerkId);
  return runner
    .select({ clerkId: organizationMemberships.clerkId })
    .from(organizationMemberships)
    .where(and(whose, isNull(organizationMemberships.deletedAt), gte(organizationMemberships.syncedAt, since)))
    .all()
    .map((row) => row.clerkId);
}

/**
 * The live organization with this slug. Clerk frees a slug on deletion or rename, and events can arrive out of
 * order, so two live rows may briefly share one: the most recently updated is the one Clerk holds now.
 */
export function findOrganizationBySlug(slug: string, runner: QueryRunner = getDb()) {
  return runner
    .select({ clerkId: organizations.clerkId, name: organizations.name, slug: organizations.slug })
    .from(organizations)
    .where(and(eq(organizations.slug, slug), isNull(organizations.deletedAt)))
    .orderBy(asc(organizations.clerkUpdatedAt))
    .all()
    .at(-1);
}

export interface OrganizationMember {
  userClerkId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  role: string | null;
}

/**
 * An organization's live members, oldest membership first. A member whose `users` row has not arrived yet is
 * listed without name or email; one whose user is deleted is not listed.
 */
export function listMembersOfOrganization(organizationClerkId: string, runner: QueryRunner = getDb()) {
  return runner
    .select({
      userClerkId: organizationMemberships.userClerkId,
      firstName: users.firstName,
      lastName: users.lastName,
      email: users.email,
      role: organizationMemberships.role,
    })
    .from(organizationMemberships)
    .innerJoin(organizations, eq(organizations.clerkId, organizationMemberships.organizationClerkId))
    .leftJoin(users, eq(users.clerkId, organizationMemberships.userClerkId))
    .where(
      and(
        eq(organizationMemberships.organizationClerkId, organizationClerkId),
        liveMembership,
        isNull(users.deletedAt),
      ),
    )
    .orderBy(asc(organizationMemberships.clerkCreatedAt), asc(organizationMemberships.id))
    .all() satisfies OrganizationMember[];
}

/** Whether `userClerkId` is a live member of the live organization `organizationClerkId`. */
export function isLiveMember(organizationClerkId: string, userClerkId: string, runner: QueryRunner = getDb()): boolean {
  const found = runner
    .select({ id: organizationMemberships.id })
    .from(organizationMemberships)
    .innerJoin(organizations, eq(organizations.clerkId, organizationMemberships.organizationClerkId))
    .leftJoin(users, eq(users.clerkId, organizationMemberships.userClerkId))
    .where(
      and(
        eq(organizationMemberships.organizationClerkId, organizationClerkId),
        eq(organizationMemberships.userClerkId, userClerkId),
        liveMembership,
        isNull(users.deletedAt),
      ),
    )
    .get();
  return found !== undefined;
}
