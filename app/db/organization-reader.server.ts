import { and, asc, eq, isNull } from "drizzle-orm";
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
  return runner
    .select({ name: organizations.name, slug: organizations.slug, role: organizationMemberships.role })
    .from(organizationMemberships)
    .innerJoin(organizations, eq(organizations.clerkId, organizationMemberships.organizationClerkId))
    .where(and(eq(organizationMemberships.userClerkId, userClerkId), liveMembership))
    .orderBy(asc(organizations.name), asc(organizations.slug))
    .all();
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
