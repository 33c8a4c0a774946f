import type { SeedUser } from "./store.js";

const FIRST_NAMES = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "Ken",
  "Margaret",
  "Dennis",
  "Radia",
  "Linus",
  "Katherine",
  "Tim",
  "Hedy",
  "John",
  "Sophie",
  "Niklaus",
  "Anita",
  "Guido",
];
const LAST_NAMES = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Knuth",
  "Allen",
  "Thompson",
  "Hamilton",
  "Ritchie",
  "Perlman",
  "Torvalds",
  "Johnson",
  "Berners-Lee",
  "Lamarr",
  "McCarthy",
  "Wilson",
  "Wirth",
  "Borg",
  "van Rossum",
];

export interface GeneratedUsersOptions {
  count: number;
  /** Shared by every generated user (hashed once); none by default. */
  password?: string;
  /** Newest user's created_at; users are spread over the year before it, oldest first. */
  now?: number;
  /** Prefix of the generated emails, so two batches do not collide. */
  emailPrefix?: string;
  /** When they signed up (SEED_DISTRIBUTIONS); "uniform" by default. */
  distribution?: SeedDistribution;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Sign-up timelines a backfill must cope with, as spans before `now` (oldest first, ms ago), each holding a share
 * of the users spread evenly over it. A span that starts and ends at the same instant is users created in one
 * millisecond (a bulk import stamped once), which no created_at range can cut apart.
 */
export const SEED_DISTRIBUTIONS = {
  /** A year of steady sign-ups. */
  uniform: [{ share: 1, from: 365 * DAY, to: 0 }],
  /** A quiet year, then a launch: 75 % of all users in five minutes, then a month of sign-ups. */
  "one-burst": [
    { share: 0.2, from: 400 * DAY, to: 35 * DAY },
    { share: 0.75, from: 35 * DAY, to: 35 * DAY - 5 * MINUTE },
    { share: 0.05, from: 35 * DAY - 5 * MINUTE, to: 0 },
  ],
  /** Steady sign-ups through four bursts of minutes and one bulk import stamped with a single millisecond. */
  bursts: [
    { share: 0.05, from: 365 * DAY, to: 300 * DAY },
    { share: 0.175, from: 300 * DAY, to: 300 * DAY - 2 * MINUTE },
    { share: 0.05, from: 300 * DAY - 2 * MINUTE, to: 200 * DAY },
    { share: 0.175, from: 200 * DAY, to: 200 * DAY - 10 * MINUTE },
    { share: 0.05, from: 200 * DAY - 10 * MINUTE, to: 120 * DAY },
    { share: 0.005, from: 120 * DAY, to: 120 * DAY },
    { share: 0.05, from: 120 * DAY - 1, to: 60 * DAY },
    { share: 0.175, from: 60 * DAY, to: 60 * DAY - MINUTE },
    { share: 0.05, from: 60 * DAY - MINUTE, to: 10 * DAY },
    { share: 0.17, from: 10 * DAY, to: 10 * DAY - 30 * MINUTE },
    { share: 0.05, from: 10 * DAY - 30 * MINUTE, to: 0 },
  ],
  /** Eight years with two empty gaps of years between three active spells. */
  gaps: [
    { share: 0.3, from: 8 * 365 * DAY, to: 7 * 365 * DAY },
    { share: 0.2, from: 5 * 365 * DAY, to: 4.5 * 365 * DAY },
    { share: 0.5, from: 1.5 * 365 * DAY, to: 0 },
  ],
} satisfies Record<string, { share: number; from: number; to: number }[]>;

export type SeedDistribution = keyof typeof SEED_DISTRIBUTIONS;

/** The created_at of user `i` of `count`, in ascending order. */
function createdAtOf(distribution: SeedDistribution, count: number, now: number): (i: number) => number {
  const spans = SEED_DISTRIBUTIONS[distribution];
  const starts: number[] = [];
  let total = 0;
  for (const span of spans) {
    starts.push(Math.round(total * count));
    total += span.share;
  }
  starts.push(count);
  return (i) => {
    let k = 0;
    while (i >= starts[k + 1]) k++;
    const { from, to } = spans[k];
    return now - from + Math.floor(((i - starts[k]) * (from - to)) / Math.max(1, starts[k + 1] - starts[k]));
  };
}

/**
 * Realistic, deterministic users in creation order (ascending created_at),
 * so the store appends them without re-sorting a large seed.
 */
export function generateUsers(options: GeneratedUsersOptions): SeedUser[] {
  const now = options.now ?? Date.now();
  const yearMs = 365 * 24 * 3_600_000;
  const step = options.count > 1 ? Math.floor(yearMs / options.count) : 0;
  const spread = options.distribution ? createdAtOf(options.distribution, options.count, now) : null;
  const prefix = options.emailPrefix ?? `seed${now.toString(36)}`;
  const users: SeedUser[] = [];
  for (let i = 0; i < options.count; i++) {
    const first = FIRST_NAMES[i % FIRST_NAMES.length];
    const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length];
    const createdAt = spread ? spread(i) : now - yearMs + i * step;
    const slug = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, "");
    users.push({
      first_name: first,
      last_name: last,
      email_address: [`${slug}.${prefix}.${i}@example.com`],
      username: i % 3 === 0 ? `${slug.replace(".", "_")}_${prefix}_${i}` : null,
      created_at: createdAt,
      updated_at: createdAt + (i % 7) * 60_000,
      public_metadata: i % 10 === 0 ? { plan: "pro" } : {},
      ...(options.password ? { password: options.password } : {}),
    });
  }
  return users;
}
