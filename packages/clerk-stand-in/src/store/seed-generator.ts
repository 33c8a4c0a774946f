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
}

/**
 * Realistic, deterministic users in creation order (ascending created_at),
 * so the store appends them without re-sorting: 100k take about a second.
 */
export function generateUsers(options: GeneratedUsersOptions): SeedUser[] {
  const now = options.now ?? Date.now();
  const yearMs = 365 * 24 * 3_600_000;
  const step = options.count > 1 ? Math.floor(yearMs / options.count) : 0;
  const prefix = options.emailPrefix ?? `seed${now.toString(36)}`;
  const users: SeedUser[] = [];
  for (let i = 0; i < options.count; i++) {
    const first = FIRST_NAMES[i % FIRST_NAMES.length];
    const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length];
    const createdAt = now - yearMs + i * step;
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
