import type { ClerkClient, User } from "@clerk/backend";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "./clerk-user";
import { callClerkWithRetry, type ClerkCallOptions } from "./clerk-retry.server";
import { ClerkResponseError, type ClerkUserListStream, type ListedPage } from "./clerk-user-list-stream.server";

/** The largest page Clerk's `GET /v1/users` allows. */
export const CLERK_MAX_PAGE_SIZE = 500;

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

type Request = (options: { method: "GET"; path: string; queryParams: Record<string, unknown> }) => Promise<User[]>;

const toListedRow = (user: unknown) => clerkUserToRow(clerkUserSchema.parse(user));

/**
 * One request per page (`users.getUserList` sends two, the list and a count; at
 * Clerk's rate limit the count would halve the pages a backfill can read),
 * through the backfill's streaming reader (clerk-user-list-stream.server.ts).
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
    () =>
      pages.page(queryParams, toListedRow).catch((error: unknown) => {
        if (query.startingAfter && isCursorRejected(error)) return CURSOR_GONE;
        throw error;
      }),
    options,
  );
  if (page === CURSOR_GONE) return page;
  // Outside the retries: asking again would bring the same user, as invalid as before.
  if (page.users === undefined) throw page.invalid;
  return page.users;
}

function isCursorRejected(error: unknown): boolean {
  return (
    error instanceof ClerkResponseError && error.status === 422 && error.errors[0]?.meta?.paramName === "starting_after"
  );
}

export async function countClerkUsers(client: ClerkClient, options: ClerkCallOptions = {}): Promise<number> {
  return callClerkWithRetry(() => client.users.getCount(), options);
}

/** Of these ids, the ones Clerk still has (checked 100 at a time, the most `user_id` takes). */
export async function clerkIdsStillPresent(
  client: ClerkClient,
  clerkIds: readonly string[],
  options: ClerkCallOptions = {},
): Promise<Set<string>> {
  const request = (client.users as unknown as { request: Request }).request;
  const present = new Set<string>();
  for (let start = 0; start < clerkIds.length; start += 100) {
    const batch = clerkIds.slice(start, start + 100);
    const users = await callClerkWithRetry(
      () => request({ method: "GET", path: "/users", queryParams: { userId: batch, limit: batch.length } }),
      options,
    );
    for (const user of users) present.add(user.id);
  }
  return present;
}
