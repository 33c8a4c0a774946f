import type { ClerkUserFields } from "~/clerk/clerk-user";
import { CLERK_COLUMNS } from "~/db/user-writer.server";

/**
 * What clerkUserToRow gives for a user, built by hand: the fields a test names, every other Clerk column null.
 * Built from the writer's column list, so a column added to `users` needs no edit in the tests that use it.
 */
export function clerkUserFields(
  fields: Pick<ClerkUserFields, "clerkId" | "clerkCreatedAt" | "clerkUpdatedAt"> & Partial<ClerkUserFields>,
): ClerkUserFields {
  const empty = Object.fromEntries(CLERK_COLUMNS.map((column) => [column, null]));
  return { ...empty, ...fields } as ClerkUserFields;
}
