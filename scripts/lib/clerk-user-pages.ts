import type { ClerkClient } from "@clerk/backend";
import { clerkUserSchema, clerkUserToRow, type ClerkUserFields } from "~/clerk/clerk-user";
import { callClerkWithRetry, DEFAULT_RETRY_POLICY, type RetryEvent, type RetryPolicy } from "./clerk-retry";

/** The largest page Clerk's `GET /v1/users` allows. */
export const CLERK_MAX_PAGE_SIZE = 500;

export interface ClerkUserPage {
  users: ClerkUserFields[];
  /** Users in Clerk when this page was read: it grows if users sign up during the run. */
  totalCount: number;
}

type UserListParams = NonNullable<Parameters<ClerkClient["users"]["getUserList"]>[0]>;

export interface ClerkUserPagesOptions {
  pageSize?: number;
  retry?: RetryPolicy;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Every user in Clerk, oldest first, one page at a time: only the current page
 * is held in memory. Pages follow a `starting_after` cursor rather than an
 * offset: Clerk's API reference says a large offset gets slower and eventually
 * times out, and a cursor neither skips nor repeats users when others are
 * created or deleted during the walk.
 */
export async function* clerkUserPages(client: ClerkClient, options: ClerkUserPagesOptions = {}): AsyncGenerator<ClerkUserPage> {
  const pageSize = options.pageSize ?? CLERK_MAX_PAGE_SIZE;
  let cursor: string | undefined;
  for (;;) {
    // @clerk/backend 2.x passes unknown params through (snake-cased) but does not type `startingAfter` yet.
    const params: UserListParams & { startingAfter?: string } = { orderBy: "+created_at", limit: pageSize, startingAfter: cursor };
    const page = await callClerkWithRetry(() => client.users.getUserList(params), options.retry ?? DEFAULT_RETRY_POLICY, options.onRetry);
    const users = page.data.map((user) => clerkUserToRow(clerkUserSchema.parse(user.raw)));
    yield { users, totalCount: page.totalCount };
    if (users.length < pageSize) return;
    cursor = users[users.length - 1].clerkId;
  }
}

/** Of these ids, the ones Clerk still has (checked 100 at a time, the most `user_id` takes). */
export async function clerkIdsStillPresent(
  client: ClerkClient,
  clerkIds: readonly string[],
  options: Pick<ClerkUserPagesOptions, "retry" | "onRetry"> = {},
): Promise<Set<string>> {
  const present = new Set<string>();
  for (let start = 0; start < clerkIds.length; start += 100) {
    const batch = clerkIds.slice(start, start + 100);
    const page = await callClerkWithRetry(
      () => client.users.getUserList({ userId: batch, limit: batch.length }),
      options.retry ?? DEFAULT_RETRY_POLICY,
      options.onRetry,
    );
    for (const user of page.data) present.add(user.id);
  }
  return present;
}
