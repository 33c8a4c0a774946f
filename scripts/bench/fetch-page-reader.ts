/**
 * Preloaded into `sync:all` by `BENCH_PAGE_READER=fetch npm run bench:backfill`
 * (scripts/bench/backfill.ts): the backfill reads each page with `fetch` and
 * `res.json()` (one request a page, the whole body as one string, one
 * `JSON.parse`) instead of its streaming reader, so the two can be timed on the
 * same run. It replaces ClerkUserListStream's `page` and `count` in place; the
 * app is otherwise untouched and the same request goes out (URL, query, key,
 * Clerk-API-Version).
 */
import { clerkAnswerMalformed, clerkErrorFromAnswer, type ClerkErrorEntry } from "../../app/clerk/clerk-errors.server";
import { clerkApiVersionOfSdk } from "../../app/clerk/clerk-api.server";
import { ClerkUserListStream, type ListedPage, type RequestOptions } from "../../app/backfill/user-list-stream.server";

type Query = Record<string, string | number | readonly string[] | undefined>;

async function get(reader: ClerkUserListStream, path: string, query: Query, signal?: AbortSignal): Promise<unknown> {
  const { base, access } = reader as unknown as { base: URL; access: { secretKey: string } };
  const url = new URL(path, base);
  for (const [key, value] of Object.entries(query)) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== "") url.searchParams.append(key, String(one));
    }
  }
  const res = await fetch(url, {
    headers: {
      Authorization: `Bearer ${access.secretKey}`,
      "Clerk-API-Version": await clerkApiVersionOfSdk(),
      "User-Agent": "clerk-sync (sync:all)",
      Accept: "application/json",
    },
    signal,
  });
  if (res.status !== 200) {
    const text = await res.text();
    let errors: ClerkErrorEntry[] = [];
    try {
      errors = ((JSON.parse(text) as { errors?: Record<string, unknown>[] }).errors ?? []).map((raw) => ({
        code: String(raw.code ?? ""),
        message: String(raw.message ?? ""),
        meta: { paramName: (raw.meta as { param_name?: string } | undefined)?.param_name },
      }));
    } catch {
      // not Clerk's JSON
    }
    const retryAfter = Number.parseInt(res.headers.get("retry-after") ?? "", 10);
    throw clerkErrorFromAnswer(res.status, errors, Number.isNaN(retryAfter) ? undefined : retryAfter);
  }
  try {
    return await res.json();
  } catch {
    throw clerkAnswerMalformed("Clerk sent a page of users that is not valid JSON.");
  }
}

ClerkUserListStream.prototype.page = async function page<T>(
  this: ClerkUserListStream,
  query: Query,
  convert: (user: unknown) => T,
  options: RequestOptions = {},
): Promise<ListedPage<T>> {
  const body = await get(this, "v1/users", query, options.signal);
  if (!Array.isArray(body)) throw clerkAnswerMalformed("Clerk's answer to /v1/users is not a list of users.");
  const users: T[] = [];
  for (const user of body) {
    try {
      users.push(convert(user));
    } catch (invalid) {
      return { invalid };
    }
  }
  return { users };
};

ClerkUserListStream.prototype.count = async function count(
  this: ClerkUserListStream,
  options: RequestOptions = {},
): Promise<number> {
  const body = (await get(this, "v1/users/count", {}, options.signal)) as { total_count?: unknown };
  if (typeof body.total_count !== "number") throw clerkAnswerMalformed("Not a count of users.");
  return body.total_count;
};
