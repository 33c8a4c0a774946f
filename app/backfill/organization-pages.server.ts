import { ZodError } from "zod";
import { clerkApiVersionOfSdk } from "~/clerk/clerk-api.server";
import { clerkAnswerMalformed, ClerkError, clerkErrorFromBody } from "~/clerk/clerk-errors.server";
import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationSchema,
  clerkOrganizationToRow,
  type ClerkMembershipFields,
  type ClerkOrganizationFields,
} from "~/clerk/clerk-organization";
import { MAX_PAGE_BYTES, type ClerkApiAccess } from "./user-list-stream.server";

/**
 * The offset-paged lists `sync:all` reads after the users: `GET /v1/organizations`
 * and the instance-wide `GET /v1/organization_memberships` (and one
 * organization's members, for `--prune`), all `{ data, total_count }` with
 * `limit` (at most 500) and `offset`, oldest first (`+created_at`), so that what
 * is created during a run lands after the pages already read.
 *
 * One `fetch` a page, sending what the SDK's `organizations.getOrganizationList`
 * and `getInstanceOrganizationMembershipList` send (the same URL and query, bearer
 * key and Clerk-API-Version: tests/tools/backfill-reads-organization-pages-as-the-sdk-does.test.ts).
 * Not through the SDK itself, for three reasons that are not speed: the SDK takes
 * no AbortSignal, so a request that timed out or outlived its run could only be
 * abandoned, not closed; it reads any body whole, however large; and it builds
 * its own objects first, so a membership without `public_user_data` (which
 * Clerk's OpenAPI document allows) throws inside the SDK and comes back as
 * "Clerk could not be reached", retried five times. Here each object is checked
 * against the app's own schema and refused with the field named, and the error
 * answers are classified as the SDK's would be (`clerkErrorFromBody`).
 */

/** The largest `limit` Clerk's organization and membership lists take. */
export const CLERK_MAX_ORGANIZATION_PAGE_SIZE = 500;
/** The most ids `organization_id` takes in one request. */
export const ORGANIZATION_IDS_PER_REQUEST = 100;
/** Bounds an error answer's body: Clerk's are a few hundred bytes. */
const MAX_ERROR_BYTES = 64 * 1024;

export interface OffsetPage<T> {
  items: T[];
  /** What Clerk says the whole list holds now. */
  totalCount: number;
}

export interface ListedMembership {
  membership: ClerkMembershipFields;
  /** The organization as the membership carries it: written too, under its own ordering rule. */
  organization: ClerkOrganizationFields;
}

type Query = Record<string, string | number | readonly string[] | undefined>;
type ListBody = { data?: unknown; total_count?: unknown };

/** One page of `GET /v1/organizations`, oldest first. */
export async function listClerkOrganizations(
  clerk: ClerkApiAccess,
  page: { limit: number; offset: number },
  signal: AbortSignal,
): Promise<OffsetPage<ClerkOrganizationFields>> {
  const answer = await getList(clerk, "v1/organizations", { ...page, order_by: "+created_at" }, signal);
  return readPage(answer, "organization", (raw) => clerkOrganizationToRow(clerkOrganizationSchema.parse(raw)));
}

/** One page of the instance-wide `GET /v1/organization_memberships`, oldest first. */
export async function listClerkMemberships(
  clerk: ClerkApiAccess,
  page: { limit: number; offset: number },
  signal: AbortSignal,
): Promise<OffsetPage<ListedMembership>> {
  const answer = await getList(clerk, "v1/organization_memberships", { ...page, order_by: "+created_at" }, signal);
  return readPage(answer, "membership", toListedMembership);
}

/** One page of one organization's `GET /v1/organizations/{id}/memberships`: how a prune asks about a membership. */
export async function listMembershipsOfClerkOrganization(
  clerk: ClerkApiAccess,
  organizationId: string,
  page: { limit: number; offset: number },
  signal: AbortSignal,
): Promise<OffsetPage<ListedMembership>> {
  const path = `v1/organizations/${encodeURIComponent(organizationId)}/memberships`;
  const answer = await getList(clerk, path, { ...page, order_by: "+created_at" }, signal);
  return readPage(answer, "membership", toListedMembership);
}

/** Of these organization ids (at most 100), the ones Clerk still has. */
export async function clerkOrganizationsStillPresent(
  clerk: ClerkApiAccess,
  organizationIds: readonly string[],
  signal: AbortSignal,
): Promise<string[]> {
  if (organizationIds.length > ORGANIZATION_IDS_PER_REQUEST) {
    throw new Error(`At most ${ORGANIZATION_IDS_PER_REQUEST} ids a request.`);
  }
  // What `organizations.getOrganizationList({ organizationId })` sends: organization_id once per id.
  const query = { organization_id: organizationIds, limit: organizationIds.length };
  const answer = await getList(clerk, "v1/organizations", query, signal);
  return readPage(answer, "organization", (raw) => clerkOrganizationSchema.parse(raw).id).items;
}

function toListedMembership(raw: unknown): ListedMembership {
  const payload = clerkMembershipSchema.parse(raw);
  return { membership: clerkMembershipToRow(payload), organization: clerkOrganizationToRow(payload.organization) };
}

function readPage<T>(answer: { data: unknown[]; totalCount: number }, noun: string, convert: (raw: unknown) => T) {
  const items: T[] = [];
  for (const raw of answer.data) {
    try {
      items.push(convert(raw));
    } catch (error) {
      // Outside the retries: asking again would bring the same object, as invalid as before.
      throw unreadable(noun, error);
    }
  }
  return { items, totalCount: answer.totalCount } satisfies OffsetPage<T>;
}

/** One line saying what is wrong with the object, never its data. */
function unreadable(noun: string, error: unknown): ClerkError {
  const issue = error instanceof ZodError ? error.issues[0] : undefined;
  const where = issue ? ` (${issue.path.join(".") || `the ${noun}`}: ${issue.message})` : "";
  const article = noun === "organization" ? "an" : "a";
  return clerkAnswerMalformed(`Clerk sent ${article} ${noun} this app cannot read${where}.`, { retryable: false });
}

/** One GET of a `{ data, total_count }` list; aborting `signal` (a timeout, the end of the run) closes the request. */
async function getList(
  clerk: ClerkApiAccess,
  path: string,
  query: Query,
  signal: AbortSignal,
): Promise<{ data: unknown[]; totalCount: number }> {
  const url = new URL(path, clerk.apiUrl.endsWith("/") ? clerk.apiUrl : `${clerk.apiUrl}/`);
  for (const [key, value] of Object.entries(query)) {
    // As the SDK does: an offset of 0 (the default) is left out, like any empty value.
    for (const one of Array.isArray(value) ? value : [value]) if (one) url.searchParams.append(key, String(one));
  }
  const response = await fetch(url, {
    headers: {
      Authorization: `Bearer ${clerk.secretKey}`,
      "Clerk-API-Version": await clerkApiVersionOfSdk(),
      "User-Agent": "clerk-sync (sync:all)",
      Accept: "application/json",
    },
    signal,
  });
  const text = await readBounded(response, response.ok ? MAX_PAGE_BYTES : MAX_ERROR_BYTES);
  if (!response.ok) throw errorFrom(response, text ?? "");
  const contentType = response.headers.get("content-type") ?? "";
  if (!contentType.startsWith("application/json")) {
    throw clerkAnswerMalformed(`Clerk answered /${path} with ${contentType || "no content type"}, not JSON.`);
  }
  if (text === null) throw clerkAnswerMalformed(`Clerk's answer to /${path} is over ${MAX_PAGE_BYTES / 2 ** 20} MiB.`);
  let body: ListBody | null = null;
  try {
    body = JSON.parse(text) as ListBody | null;
  } catch {
    // Reported below with the other shapes that are not a page; the parser's words may quote the body.
  }
  const limit = Number(query.limit);
  const data = body?.data;
  const totalCount = body?.total_count;
  if (!Array.isArray(data) || typeof totalCount !== "number" || !Number.isSafeInteger(totalCount) || totalCount < 0) {
    throw clerkAnswerMalformed(`Clerk's answer to /${path} is not a page of a list.`);
  }
  if (data.length > limit) throw clerkAnswerMalformed(`Clerk sent more than the ${limit} items asked for.`);
  return { data: data as unknown[], totalCount };
}

/** The body as text, or null past `max` bytes (reading stops there, and the request is closed). */
async function readBounded(response: Response, max: number): Promise<string | null> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > max) {
      await reader.cancel();
      return null;
    }
    text += decoder.decode(value, { stream: true });
  }
}

function errorFrom(response: Response, text: string): ClerkError {
  return clerkErrorFromBody(response.status, text, response.headers.get("retry-after"));
}
