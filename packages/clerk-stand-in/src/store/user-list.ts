import { paramValueInvalid } from "../errors.js";
import type { ClerkUserJSON } from "./user-json.js";

export interface UserRecord {
  json: ClerkUserJSON;
  passwordHash: string | null;
  /** Insertion counter: breaks created_at ties so the order is total and stable, as Clerk's is. */
  seq: number;
}

/** The query of `GET /v1/users`, already parsed (arrays for repeatable keys). */
export interface UserListParams {
  limit?: number;
  offset?: number;
  order_by?: string;
  email_address?: string[];
  user_id?: string[];
  external_id?: string[];
  username?: string[];
  query?: string;
  starting_after?: string;
  created_at_before?: number;
  created_at_after?: number;
}

export interface ListSource {
  /** Every user, ascending by the given field (ties by creation). */
  ascending(ordering: Ordering): UserRecord[];
  byEmails(emails: string[]): UserRecord[];
  byId(id: string): UserRecord | undefined;
}

type SortKey = (user: ClerkUserJSON) => string | number | null;

const primaryEmail = (user: ClerkUserJSON) =>
  user.email_addresses.find((email) => email.id === user.primary_email_address_id)?.email_address ?? null;

const SORT_KEYS: Record<string, SortKey> = {
  created_at: (user) => user.created_at,
  updated_at: (user) => user.updated_at,
  email_address: primaryEmail,
  first_name: (user) => user.first_name?.toLowerCase() ?? null,
  last_name: (user) => user.last_name?.toLowerCase() ?? null,
  username: (user) => user.username,
  last_active_at: (user) => user.last_active_at,
  last_sign_in_at: (user) => user.last_sign_in_at,
  // The stand-in has no phones or wallets; accepted so valid Clerk queries do not fail.
  phone_number: () => null,
  web3wallet: () => null,
};

export interface Ordering {
  field: string;
  descending: boolean;
  compareAscending: (a: UserRecord, b: UserRecord) => number;
}

export function compareRecords(a: UserRecord, b: UserRecord): number {
  return a.json.created_at - b.json.created_at || a.seq - b.seq;
}

export function orderingFor(orderBy: string | undefined): Ordering {
  const raw = orderBy ?? "-created_at";
  const descending = raw.startsWith("-");
  const field = raw.replace(/^[+-]/, "");
  const key = SORT_KEYS[field];
  if (!key) {
    throw paramValueInvalid(
      "order_by",
      `order_by must be one of ${Object.keys(SORT_KEYS).join(", ")}, optionally prefixed with + or -.`,
    );
  }
  const compareAscending = (a: UserRecord, b: UserRecord) => {
    const left = key(a.json);
    const right = key(b.json);
    // Postgres puts NULLs last when ascending (and so first when descending).
    if (left === right) return compareRecords(a, b);
    if (left === null) return 1;
    if (right === null) return -1;
    return left < right ? -1 : 1;
  };
  return { field, descending, compareAscending };
}

function hasFilters(params: UserListParams): boolean {
  return hasNonTimeFilters(params) || params.created_at_before !== undefined || params.created_at_after !== undefined;
}

function hasNonTimeFilters(params: UserListParams): boolean {
  return Boolean(
    params.email_address?.length ||
    params.user_id?.length ||
    params.external_id?.length ||
    params.username?.length ||
    params.query,
  );
}

/** The matching users as positions [start, end) of an ascending array, so a page need not copy them. */
interface MatchingWindow {
  ascending: UserRecord[];
  start: number;
  end: number;
}

/** First position whose created_at is above `after` (or at/above `atLeast`). */
function firstCreatedAbove(ascending: UserRecord[], threshold: number, inclusive: boolean): number {
  let low = 0;
  let high = ascending.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const createdAt = ascending[mid].json.created_at;
    if (inclusive ? createdAt < threshold : createdAt <= threshold) low = mid + 1;
    else high = mid;
  }
  return low;
}

function matchingWindow(source: ListSource, params: UserListParams, ordering: Ordering): MatchingWindow {
  // created_at ranges over the creation order are two binary searches: a backfill
  // that walks many ranges of a million users must not scan them all per page.
  if (ordering.field === "created_at" && !hasNonTimeFilters(params)) {
    const ascending = source.ascending(ordering);
    const start =
      params.created_at_after === undefined ? 0 : firstCreatedAbove(ascending, params.created_at_after, false);
    const end =
      params.created_at_before === undefined
        ? ascending.length
        : firstCreatedAbove(ascending, params.created_at_before, true);
    return { ascending, start, end: Math.max(start, end) };
  }
  const records = matchingRecords(source, params, ordering);
  return { ascending: records, start: 0, end: records.length };
}

/** `+id`/`-id` include/exclude lists, as Clerk's user_id and external_id filters take them. */
function signedMatcher(values: string[] | undefined): ((value: string | null) => boolean) | null {
  if (!values?.length) return null;
  const include = new Set(values.filter((v) => !v.startsWith("-")).map((v) => v.replace(/^\+/, "")));
  const exclude = new Set(values.filter((v) => v.startsWith("-")).map((v) => v.slice(1)));
  return (value) => {
    if (value !== null && exclude.has(value)) return false;
    return include.size === 0 || (value !== null && include.has(value));
  };
}

function queryMatcher(query: string | undefined): ((user: ClerkUserJSON) => boolean) | null {
  const needle = query?.trim().toLowerCase();
  if (!needle) return null;
  return (user) =>
    [user.id, user.username, user.first_name, user.last_name, ...user.email_addresses.map((e) => e.email_address)].some(
      (value) => value?.toLowerCase().includes(needle),
    );
}

/** All users matching the filters, ascending by the ordering's field. */
export function matchingRecords(
  source: ListSource,
  params: UserListParams,
  ordering = orderingFor(params.order_by),
): UserRecord[] {
  if (!hasFilters(params)) return source.ascending(ordering);
  if (ordering.field === "created_at" && !hasNonTimeFilters(params)) {
    const { ascending, start, end } = matchingWindow(source, params, ordering);
    return ascending.slice(start, end);
  }
  const candidates = params.email_address?.length
    ? [...new Set(source.byEmails(params.email_address))].sort(ordering.compareAscending)
    : source.ascending(ordering);
  const byUserId = signedMatcher(params.user_id);
  const byExternalId = signedMatcher(params.external_id);
  const usernames = params.username?.length ? new Set(params.username.map((u) => u.toLowerCase())) : null;
  const byQuery = queryMatcher(params.query);
  return candidates.filter(({ json }) => {
    if (byUserId && !byUserId(json.id)) return false;
    if (byExternalId && !byExternalId(json.external_id)) return false;
    if (usernames && !(json.username && usernames.has(json.username.toLowerCase()))) return false;
    if (byQuery && !byQuery(json)) return false;
    if (params.created_at_before !== undefined && !(json.created_at < params.created_at_before)) return false;
    if (params.created_at_after !== undefined && !(json.created_at > params.created_at_after)) return false;
    return true;
  });
}

/** One page: O(limit + log n) once the ascending view exists, however deep the offset or cursor. */
export function listPage(source: ListSource, params: UserListParams, maxLimit = 500): UserRecord[] {
  const limit = params.limit ?? 10;
  const offset = params.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    throw paramValueInvalid("limit", `limit must be an integer between 1 and ${maxLimit}.`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw paramValueInvalid("offset", "offset must be an integer greater than or equal to 0.");
  }
  const ordering = orderingFor(params.order_by);
  const window = matchingWindow(source, params, ordering);
  let skip = offset;
  if (params.starting_after !== undefined) skip = cursorStart(source, window, ordering, params, offset);
  const page: UserRecord[] = [];
  const total = window.end - window.start;
  for (let position = skip; position < total && page.length < limit; position++) {
    page.push(window.ascending[window.start + (ordering.descending ? total - 1 - position : position)]);
  }
  return page;
}

/** How many matching users the page after the cursor skips, counted in the requested direction. */
function cursorStart(
  source: ListSource,
  window: MatchingWindow,
  ordering: Ordering,
  params: UserListParams,
  offset: number,
): number {
  if (ordering.field !== "created_at") {
    throw paramValueInvalid("starting_after", "starting_after can only be used with created_at ordering.");
  }
  if (offset !== 0)
    throw paramValueInvalid("starting_after", "starting_after cannot be combined with a non-zero offset.");
  const cursor = source.byId(params.starting_after!);
  if (!cursor) throw paramValueInvalid("starting_after", "starting_after must be the id of an existing user.");
  // Count the users strictly before the cursor in creation order; the cursor
  // need not match the filters, only mark a place in the order.
  let low = window.start;
  let high = window.end;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareRecords(window.ascending[mid], cursor) < 0) low = mid + 1;
    else high = mid;
  }
  const before = low - window.start;
  const cursorIncluded = low < window.end && window.ascending[low] === cursor ? 1 : 0;
  return ordering.descending ? window.end - window.start - before : before + cursorIncluded;
}
