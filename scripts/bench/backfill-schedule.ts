/**
 * `tsx scripts/bench/backfill-schedule.ts [--distribution all] [--counts 100000,1000000]`:
 * the backfill's scheduler (app/backfill/range-walk.server.ts, with its real
 * plan and cuts) against a simulated Clerk in virtual time, so that how well it
 * schedules shows without this machine's CPU in the way. The simulated Clerk
 * answers each request after 150 ms ± 50 (uniform), lets requests out as the
 * production limiter does (98/s, a burst of 20), and lists users as Clerk
 * does: created_at filters and a `starting_after` cursor. Parsing and
 * writing cost nothing here: `npm run bench:backfill` measures those.
 *
 * Prints, per distribution and count: simulated time against the rate-limit
 * floor (pages ÷ 100/s), requests against pages, and ranges. `--timeline`
 * adds the requests sent in each tenth of a second (a gap is the limiter left
 * idle), `--ranges` how many ranges took how many requests for how many users.
 */
import { parseArgs } from "node:util";
import { generateUsers } from "@clerk-sync/clerk-stand-in";
import type { ClerkUserFields } from "~/clerk/clerk-user";
import { planRanges, type CreatedAtRange } from "~/backfill/created-at-ranges.server";
import { defaultConcurrency, walkRanges } from "~/backfill/range-walk.server";
import { limiterSettingsFor, PRODUCTION_RATE_LIMIT } from "~/backfill/rate-limiter.server";
import type { UserPageQuery } from "~/backfill/user-pages.server";
import { fmt } from "./support";

type Distribution = NonNullable<Parameters<typeof generateUsers>[0]["distribution"]>;
const DISTRIBUTIONS: Distribution[] = ["uniform", "one-burst", "bursts", "gaps"];
const PAGE = 500;
const FLOOR_PER_SECOND = 100;

const { values } = parseArgs({
  options: {
    distribution: { type: "string", default: "all" },
    counts: { type: "string", default: "100000,1000000" },
    latency: { type: "string", default: "150,50" },
    timeline: { type: "boolean", default: false },
    ranges: { type: "boolean", default: false },
  },
});
const chosen = values.distribution === "all" ? DISTRIBUTIONS : (values.distribution!.split(",") as Distribution[]);
const counts = values.counts!.split(",").map(Number);
const [latencyMs, jitterMs] = values.latency!.split(",").map(Number);

/** A deterministic PRNG (mulberry32), so that two runs of the same code give the same figures. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Virtual time: promises resolved in the order of their instants, each after everything they set off has run. */
class VirtualClock {
  now = 0;
  private readonly timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  at(time: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: Math.max(time, this.now), seq: this.seq++, resolve });
    });
  }

  async run(until: Promise<unknown>): Promise<void> {
    let over = false;
    until.then(
      () => (over = true),
      () => (over = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (over) return;
      if (this.timers.length === 0) throw new Error("The walk waits on something that is not simulated.");
      let next = 0;
      for (let i = 1; i < this.timers.length; i++) {
        const a = this.timers[i];
        const b = this.timers[next];
        if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) next = i;
      }
      const [timer] = this.timers.splice(next, 1);
      this.now = timer.at;
      timer.resolve();
    }
  }
}

async function simulate(distribution: Distribution, count: number) {
  const now = Date.UTC(2026, 0, 1);
  const createdAt = Float64Array.from(
    generateUsers({ count, distribution, now, emailPrefix: "sim" }),
    (user) => user.created_at!,
  );
  const clock = new VirtualClock();
  const jitter = random(count);
  const { requestsPerSecond, burst } = limiterSettingsFor(PRODUCTION_RATE_LIMIT);
  // The limiter as a virtual token bucket: the instant each request may leave.
  let theoreticalArrival = 0;
  const interval = 1000 / requestsPerSecond;
  let requests = 0;
  const sent: number[] = [];
  const perRange = new Map<CreatedAtRange, number>();
  const answered = async () => {
    const leave = Math.max(clock.now, theoreticalArrival - (burst - 1) * interval);
    theoreticalArrival = Math.max(theoreticalArrival, clock.now) + interval;
    requests++;
    if (values.timeline) sent.push(leave);
    await clock.at(leave + latencyMs + (jitter() * 2 - 1) * jitterMs);
  };
  /** The first index whose created_at is above `after`. */
  const firstAbove = (after: number) => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (createdAt[mid] > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const bounds = (query: Pick<UserPageQuery, "createdAtAfter" | "createdAtBefore">) => ({
    start: query.createdAtAfter === undefined ? 0 : firstAbove(query.createdAtAfter),
    end: query.createdAtBefore === undefined ? count : firstAbove(query.createdAtBefore - 1),
  });
  const user = (i: number) =>
    ({ clerkId: `user_${String(i).padStart(8, "0")}`, clerkCreatedAt: createdAt[i] }) as ClerkUserFields;
  const list = async (query: UserPageQuery) => {
    await answered();
    const { start: from, end } = bounds(query);
    const start = query.startingAfter ? Math.max(from, Number(query.startingAfter.slice(5)) + 1) : from;
    const page: ClerkUserFields[] = [];
    for (let i = start; i < end && page.length < query.limit; i++) page.push(user(i));
    return page;
  };

  // The three first requests, at once, as the backfill sends them.
  await clock.run(Promise.all([answered(), answered(), answered()]));
  const concurrency = defaultConcurrency(limiterSettingsFor(PRODUCTION_RATE_LIMIT));
  const first = createdAt[0];
  const last = createdAt[count - 1];
  let read = 0;
  const walk = walkRanges({
    ranges: planRanges(first, last, count, concurrency, PAGE),
    openEnd: last + 1,
    total: count,
    concurrency,
    pageSize: PAGE,
    fetch: (range) => {
      perRange.set(range, (perRange.get(range) ?? 0) + 1);
      return list(range.nextQuery(PAGE));
    },
    read: (users) => {
      read += users.length;
    },
  });
  await clock.run(walk);
  const result = await walk;
  if (values.timeline) {
    const buckets = new Map<number, number>();
    for (const t of sent) buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
    console.log([...buckets].map(([b, n]) => `${b / 10}s:${n}`).join(" "));
  }
  if (values.ranges) {
    const kinds = new Map<string, number>();
    for (const [range, requests] of perRange) {
      const kind = `${requests} requests for ~${Math.round(range.listed / 50) * 50} users`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    for (const [kind, ranges] of [...kinds].sort()) console.log(`  ${kind}: ${ranges} ranges`);
  }
  if (read !== count) throw new Error(`${distribution} ${count}: read ${read} users, not ${count}`);
  const pages = Math.ceil(count / PAGE);
  const seconds = clock.now / 1000;
  const floor = pages / FLOOR_PER_SECOND;
  return { distribution, count, seconds, floor, requests, pages, ranges: result.ranges, result };
}

console.log(`simulated Clerk: ${latencyMs} ms ± ${jitterMs}, production limiter; parsing and writing not simulated`);
console.log("distribution      users   sim s   floor s   ratio   requests   pages   ranges   one-ms users");
for (const distribution of chosen) {
  for (const count of counts) {
    const r = await simulate(distribution, count);
    console.log(
      [
        distribution.padEnd(12),
        fmt(count).padStart(9),
        fmt(r.seconds, 1).padStart(7),
        fmt(r.floor, 1).padStart(9),
        fmt(r.seconds / r.floor, 2).padStart(7),
        fmt(r.requests).padStart(10),
        fmt(r.pages).padStart(7),
        fmt(r.ranges).padStart(8),
        fmt(r.result.inOneMillisecond).padStart(14),
      ].join(" "),
    );
  }
}
