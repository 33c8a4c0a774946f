import { ZodError } from "zod";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "~/clerk/clerk-user";
import { callClerkWithRetry, type ClerkCallOptions } from "./retry.server";
import { clerkAnswerMalformed, ClerkError } from "~/clerk/clerk-errors.server";
import type { ClerkUserListStream, ListedPage } from "./user-list-stream.server";

export { CLERK_MAX_PAGE_SIZE } from "./user-list-stream.server";

/**
 * One page of `GET /v1/users`, oldest first, within a created_at range and after
 * a `starting_after` cursor (the only paging that neither skips nor repeats users
 * while others are created or deleted; Clerk's reference says a large offset
 * gets slower and eventually times out).
 */
export interface UserPageQuery {
  limit: number;
  /** The id of the last user of the previous page. */
  startingAfter?: string;
  /** Only users created after this instant (ms, exclusive). */
  createdAtAfter?: number;
  /** Only users created before this instant (ms, exclusive). */
  createdAtBefore?: number;
  orderBy?: "+created_at" | "-created_at";
}

/** Clerk rejected the cursor: its user was deleted since the previous page was read. */
export const CURSOR_GONE: unique symbol = Symbol("cursor gone");

const toListedRow = (user: unknown) => clerkUserToRow(clerkUserSchema.parse(user));

/**
 * One request per page (`users.getUserList` sends two, the list and a count; at
 * Clerk's rate limit the count would halve the pages a backfill can read),
 * through the backfill's streaming reader (user-list-stream.server.ts).
 */
export async function listClerkUsers(
  pages: ClerkUserListStream,
  query: UserPageQuery,
  options: ClerkCallOptions = {},
): Promise<ClerkUserFields[] | typeof CURSOR_GONE> {
  const queryParams = {
    order_by: query.orderBy ?? "+created_at",
    limit: query.limit,
    starting_after: query.startingAfter,
    created_at_after: query.createdAtAfter,
    created_at_before: query.createdAtBefore,
  };
  const page = await callClerkWithRetry<ListedPage<ClerkUserFields> | typeof CURSOR_GONE>(
    (signal) =>
      pages.page(queryParams, toListedRow, { signal }).catch((error: unknown) => {
        if (query.startingAfter && isCursorRejected(error)) return CURSOR_GONE;
        throw error;
      }),
    options,
  );
  if (page === CURSOR_GONE) return page;
  // Outside the retries: asking again would bring the same user, as invalid as before.
  if (page.users === undefined) throw unreadableUser(page.invalid);
  return page.users;
}

/** One line saying what is wrong with the user, never its data. */
function unreadableUser(error: unknown): ClerkError {
  const issue = error instanceof ZodError ? error.issues[0] : undefined;
  const where = issue ? ` (${issue.path.join(".") || "the user"}: ${issue.message})` : "";
  return clerkAnswerMalformed(`Clerk sent a user this app cannot read${where}.`, { retryable: false });
}

function isCursorRejected(error: unknown): boolean {
  return error instanceof ClerkError && error.status === 422 && error.paramName === "starting_after";
}

/** `users.getCount()`, through the backfill's reader: bounded, and aborted when it times out. */
export async function countClerkUsers(pages: ClerkUserListStream, options: ClerkCallOptions = {}): Promise<number> {
  return callClerkWithRetry((signal) => pages.count({ signal }), options);
}

const idOf = (user: unknown): string => {
  const id = (user as { id?: unknown } | null)?.id;
  if (typeof id !== "string" || id === "") throw new Error("A listed user has no id.");
  return id;
};

/** Of these ids, the ones Clerk still has (checked 100 at a time, the most `user_id` takes). */
export async function clerkIdsStillPresent(
  pages: ClerkUserListStream,
  clerkIds: readonly string[],
  options: ClerkCallOptions = {},
): Promise<Set<string>> {
  const present = new Set<string>();
  for (let start = 0; start < clerkIds.length; start += 100) {
    const batch = clerkIds.slice(start, start + 100);
    // What `users.getUserList({ userId })` sends: user_id once per id.
    const page = await callClerkWithRetry(
      (signal) => pages.page({ user_id: batch, limit: batch.length }, idOf, { signal }),
      options,
    );
    if (page.users === undefined) throw unreadableUser(page.invalid);
    for (const id of page.users) present.add(id);
  }
  return present;
}
