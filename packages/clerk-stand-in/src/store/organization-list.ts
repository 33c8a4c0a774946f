import { paramValueInvalid } from "../errors.js";

/**
 * Paging and ordering of `GET /v1/organizations` and the membership lists:
 * `limit` 1–500 (default 10), `offset`, `order_by` as `[+-]field` (`+` when
 * no sign), NULLs last ascending, ties by creation, as in Clerk's answers.
 */

export interface PageParams {
  limit?: number;
  offset?: number;
}

export interface OrganizationListParams extends PageParams {
  /** Exact id, or part of the name or slug. */
  query?: string;
  order_by?: string;
  /** Organizations any of these users belong to (`+`/`-` include/exclude). */
  user_id?: string[];
  organization_id?: string[];
}

export interface MembershipListParams extends PageParams {
  order_by?: string;
  user_id?: string[];
  role?: string[];
  /** Part of the member's id, names, username or identifier. */
  query?: string;
}

/** Something kept in creation order: what every ordering falls back on for ties. */
export interface Created {
  created_at: number;
  seq: number;
}

export type SortKeys<T> = Record<string, (item: T) => string | number | null>;

export function page<T>(items: readonly T[], params: PageParams, maxLimit = 500): T[] {
  const limit = params.limit ?? 10;
  const offset = params.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    throw paramValueInvalid("limit", `limit must be an integer between 1 and ${maxLimit}.`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw paramValueInvalid("offset", "offset must be an integer greater than or equal to 0.");
  }
  return items.slice(offset, offset + limit);
}

export function byCreation(a: Created, b: Created): number {
  return a.created_at - b.created_at || a.seq - b.seq;
}

/** A comparator for `order_by`, or Clerk's 422 naming the fields it takes. */
export function comparatorFor<T>(
  orderBy: string,
  keys: SortKeys<T>,
  created: (item: T) => Created,
): (a: T, b: T) => number {
  const descending = orderBy.startsWith("-");
  const field = orderBy.replace(/^[+-]/, "");
  const key = Object.hasOwn(keys, field) ? keys[field] : undefined;
  if (!key) {
    throw paramValueInvalid(
      "order_by",
      `order_by must be one of ${Object.keys(keys).join(", ")}, optionally prefixed with + or -.`,
    );
  }
  const ascending = (a: T, b: T) => {
    const left = key(a);
    const right = key(b);
    if (left === right) return byCreation(created(a), created(b));
    // Postgres puts NULLs last when ascending (and so first when descending).
    if (left === null) return 1;
    if (right === null) return -1;
    return left < right ? -1 : 1;
  };
  return descending ? (a, b) => ascending(b, a) : ascending;
}

/** `+id`/`-id` include/exclude lists, as Clerk's id filters take them; null when there is no filter. */
export function signedIds(values: string[] | undefined): { include: Set<string>; exclude: Set<string> } | null {
  if (!values?.length) return null;
  return {
    include: new Set(values.filter((v) => !v.startsWith("-")).map((v) => v.replace(/^\+/, ""))),
    exclude: new Set(values.filter((v) => v.startsWith("-")).map((v) => v.slice(1))),
  };
}

/** True when `ids` (an object's own id, or the ids of its members) pass a `+`/`-` filter. */
export function passesSignedIds(filter: ReturnType<typeof signedIds>, ids: Iterable<string>): boolean {
  if (!filter) return true;
  let included = filter.include.size === 0;
  for (const id of ids) {
    if (filter.exclude.has(id)) return false;
    if (filter.include.has(id)) included = true;
  }
  return included;
}
