import { describe, expect, it } from "vitest";
import { inPool, walkOffsetPages } from "~/backfill/offset-walk.server";
import type { OffsetPage } from "~/backfill/organization-pages.server";

/**
 * The walk over an offset-paged list (offset-walk.server.ts), against a list held in memory: the pages it asks
 * for, how many at once, and what it reads, when the list holds still and when it grows during the walk.
 */

interface Asked {
  offset: number;
  limit: number;
  answer(): void;
}

/**
 * A list of `size` items "i0", "i1", … that answers a page only when the test says so (`asked[n].answer()`), so
 * the test decides the order pages come back in and sees which are asked for at once. A page past the end
 * answers at once, empty.
 */
function heldList(size: number) {
  const items = Array.from({ length: size }, (_, i) => `i${i}`);
  const asked: Asked[] = [];
  const fetch = (page: { limit: number; offset: number }) =>
    new Promise<OffsetPage<string>>((resolve) => {
      const answer = () =>
        resolve({ items: items.slice(page.offset, page.offset + page.limit), totalCount: items.length });
      asked.push({ ...page, answer });
      if (page.offset >= size) answer();
    });
  return { items, asked, fetch };
}

/** Starts the walk of a held list from its first page; `read` holds every item read, in the order read. */
async function startHeldWalk(list: ReturnType<typeof heldList>, concurrency: number) {
  const first = list.fetch({ limit: PAGE, offset: 0 });
  list.asked[0].answer();
  const read: string[] = [];
  const walk = walkOffsetPages(await first, {
    pageSize: PAGE,
    concurrency,
    fetch: list.fetch,
    read: (items) => read.push(...items),
  });
  return { walk, read };
}

/** A list that answers at once, recording the offsets asked for; `grow` adds items as pages are asked for. */
function answeringList(size: number, grow: (offset: number) => number = () => 0) {
  const items = Array.from({ length: size }, (_, i) => `i${i}`);
  const offsets: number[] = [];
  let inFlight = 0;
  let mostAtOnce = 0;
  const fetch = async (page: { limit: number; offset: number }): Promise<OffsetPage<string>> => {
    offsets.push(page.offset);
    expect(page.limit).toBe(PAGE);
    inFlight++;
    mostAtOnce = Math.max(mostAtOnce, inFlight);
    // Each page waits a turn of the event loop, so the pages asked for together are in flight together.
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    for (let added = grow(page.offset); added > 0; added--) items.push(`i${items.length}`);
    return { items: items.slice(page.offset, page.offset + page.limit), totalCount: items.length };
  };
  return { items, offsets, fetch, mostAtOnce: () => mostAtOnce };
}

const PAGE = 3;

/** Walks `list` from its first page, returning every item read, in the order read, and each page's total. */
async function walkAll(
  fetch: (page: { limit: number; offset: number }) => Promise<OffsetPage<string>>,
  concurrency: number,
) {
  const read: string[] = [];
  const totals: number[] = [];
  const first = await fetch({ limit: PAGE, offset: 0 });
  await walkOffsetPages(first, {
    pageSize: PAGE,
    concurrency,
    fetch,
    read(items, totalCount) {
      read.push(...items);
      totals.push(totalCount);
    },
  });
  return { read, totals };
}

describe("the offset walk", () => {
  it("reads a list that holds still once, asking for each page after the first once", async () => {
    const list = answeringList(8);
    const { read, totals } = await walkAll(list.fetch, 4);
    expect(read.sort()).toEqual([...list.items].sort());
    expect(list.offsets).toEqual([0, 3, 6]);
    expect(totals).toEqual([8, 8, 8]);
  });

  it("reads a list shorter than a page with one request", async () => {
    const list = answeringList(2);
    const { read } = await walkAll(list.fetch, 4);
    expect(read).toEqual(["i0", "i1"]);
    expect(list.offsets).toEqual([0]);
  });

  it("reads an empty list with one request", async () => {
    const list = answeringList(0);
    const { read } = await walkAll(list.fetch, 4);
    expect(read).toEqual([]);
    expect(list.offsets).toEqual([0]);
  });

  it("asks for the page after a full last one, which may hold what was created since, and stops at the empty one", async () => {
    const list = answeringList(9);
    const { read } = await walkAll(list.fetch, 4);
    expect(read.sort()).toEqual([...list.items].sort());
    expect(list.offsets).toEqual([0, 3, 6, 9]);
  });

  it("reads on past the first total while pages come back full: a list that grows during the walk", async () => {
    // A list of exactly one page at first; each page asked for past it finds three more items created.
    let grown = 0;
    const list = answeringList(3, (offset) => (offset > 0 && grown++ < 3 ? PAGE : 0));
    const { read } = await walkAll(list.fetch, 4);
    expect(list.items).toHaveLength(12);
    expect(read).toEqual(list.items);
    expect(list.offsets).toEqual([0, 3, 6, 9, 12]);
  });

  it("reads what was created since past the planned pages too, each item once", async () => {
    let grown = false;
    const list = answeringList(7, (offset) => (offset === 6 && !grown ? ((grown = true), 4) : 0));
    const { read } = await walkAll(list.fetch, 2);
    expect(list.items).toHaveLength(11);
    expect(read.sort()).toEqual([...list.items].sort());
    expect(new Set(read).size).toBe(read.length);
    expect(list.offsets).toEqual([0, 3, 6, 9]);
  });

  it("asks for every planned page at once (up to its concurrency), and for the pages past them one at a time after", async () => {
    // 9 items at first: pages at 3 and 6 are planned; the one at 6 is full, so the one at 9 comes after them.
    const list = heldList(9);
    const { walk, read } = await startHeldWalk(list, 8);
    await expect.poll(() => list.asked.map((page) => page.offset)).toEqual([0, 3, 6]);
    list.asked[2].answer();
    await expect.poll(() => read.length).toBe(6);
    expect(list.asked).toHaveLength(3);
    list.asked[1].answer();
    await walk;
    expect(list.asked.map((page) => page.offset)).toEqual([0, 3, 6, 9]);
    expect(list.asked[3].limit).toBe(PAGE);
    expect(read.sort()).toEqual([...list.items].sort());
  });

  it("goes on past the planned pages by the last one's answer, whichever page comes back last", async () => {
    // 8 items: pages at 3 (full) and 6 (two items) are planned. The short last page comes back first.
    const list = heldList(8);
    const { walk, read } = await startHeldWalk(list, 8);
    await expect.poll(() => list.asked.length).toBe(3);
    list.asked[2].answer();
    await expect.poll(() => read.length).toBe(5);
    list.asked[1].answer();
    await walk;
    expect(list.asked.map((page) => page.offset)).toEqual([0, 3, 6]);
    expect(read.sort()).toEqual([...list.items].sort());
  });

  it("asks for no more pages at once than its concurrency", async () => {
    const list = answeringList(40);
    const { read } = await walkAll(list.fetch, 3);
    expect(read).toHaveLength(40);
    expect(list.mostAtOnce()).toBe(3);
  });
});

describe("the walk's worker pool", () => {
  it("works on at most `size` items at once, and on every item once", async () => {
    let inFlight = 0;
    let mostAtOnce = 0;
    const done: number[] = [];
    await inPool([1, 2, 3, 4, 5, 6, 7], 2, async (item) => {
      inFlight++;
      mostAtOnce = Math.max(mostAtOnce, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      done.push(item);
    });
    expect(mostAtOnce).toBe(2);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("stops starting items after the first failure, and throws it", async () => {
    const started: number[] = [];
    let finishSecond: () => void = () => {};
    const secondFinished = new Promise<void>((resolve) => (finishSecond = resolve));
    const failure = new Error("the first item failed");
    const pool = inPool([1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      if (item === 1) throw failure;
      if (item === 2) await secondFinished;
    });
    // The second item, in flight when the first fails, finishes a few microtasks after the failure is seen.
    finishSecond();
    await expect(pool).rejects.toBe(failure);
    // Whatever its worker does next happens in microtasks, all run before the next turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2]);
  });

  it("does nothing with no items", async () => {
    let calls = 0;
    await inPool([], 4, async () => {
      calls++;
    });
    expect(calls).toBe(0);
  });
});
