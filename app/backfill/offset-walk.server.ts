import type { OffsetPage } from "./organization-pages.server";

/**
 * A walk over an offset-paged list (organizations, memberships). The first page
 * says how long the list is; every other page is then independent of the
 * others, so they are asked for `concurrency` at a time (the rate limiter paces
 * them), as the users' ranges are.
 *
 * Offsets count positions in a list that may change while it is read. The list
 * is read oldest first, so what is created during the run lands after the pages
 * planned from the first total: the walk goes on past them while pages come back
 * full. What is deleted during the run moves every later item one place up: an
 * item at a page boundary can then be missed by this run. It is not lost: its
 * webhook, or the next run, writes it; and a prune asks Clerk again about every
 * stored item the walk did not list before tombstoning it (prune-organizations.server.ts).
 * An item seen twice is harmless: the writer is idempotent.
 */

export interface OffsetWalk<T> {
  pageSize: number;
  concurrency: number;
  fetch(page: { limit: number; offset: number }): Promise<OffsetPage<T>>;
  /** Each page as it arrives, with what Clerk says the list holds now. */
  read(items: T[], totalCount: number): void;
}

export async function walkOffsetPages<T>(first: OffsetPage<T>, walk: OffsetWalk<T>): Promise<void> {
  const { pageSize } = walk;
  walk.read(first.items, first.totalCount);
  const offsets: number[] = [];
  for (let offset = pageSize; offset < first.totalCount; offset += pageSize) offsets.push(offset);
  const lastOffset = offsets.at(-1) ?? 0;
  let lastPageFull = first.items.length === pageSize;
  await inPool(offsets, walk.concurrency, async (offset) => {
    const page = await walk.fetch({ limit: pageSize, offset });
    walk.read(page.items, page.totalCount);
    if (offset === lastOffset) lastPageFull = page.items.length === pageSize;
  });
  // Created since the first page: after the planned pages, one page at a time until a short one.
  for (let offset = lastOffset + pageSize; lastPageFull; offset += pageSize) {
    const page = await walk.fetch({ limit: pageSize, offset });
    walk.read(page.items, page.totalCount);
    lastPageFull = page.items.length === pageSize;
  }
}

/** `work` on every item, at most `size` at once; the first failure stops the rest from starting, and is thrown. */
export async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
