import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { requireUserId } from "~/auth.server";
import { syncFailureResponse } from "~/sync/sync-failure.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { roleLabel } from "~/components/organization-role";
import { profileNotice } from "~/components/profile-notices";
import { SyncControls } from "~/components/sync-controls";
import { useArrived, useRevalidateWhileMissing } from "~/components/use-profile-status";
import { listOrganizationsOfUser } from "~/db/organization-reader.server";
import { findUserByClerkId } from "~/db/user-reader.server";
import { readSameOriginForm } from "~/same-origin.server";
import { PRIVATE_PAGE_CACHE_CONTROL } from "~/security-headers.server";

export const meta: MetaFunction = () => [{ title: "Your profile · clerk-sync" }];

// Personal data: never kept by a shared cache or the browser's back/forward store.
export const headers: HeadersFunction = () => ({ "Cache-Control": PRIVATE_PAGE_CACHE_CONTROL });

export async function loader(args: LoaderFunctionArgs) {
  const userId = await requireUserId(args);
  // Only ever the session's own row: the id comes from the verified session token.
  const row = findUserByClerkId(userId);
  return json({
    clerkId: userId,
    profile: row
      ? {
          email: row.email,
          firstName: row.firstName,
          lastName: row.lastName,
          username: row.username,
          imageUrl: row.imageUrl,
          deletedAt: row.deletedAt,
          syncedAt: row.syncedAt,
          syncSource: row.syncSource,
        }
      : null,
    organizations: listOrganizationsOfUser(userId),
  });
}

export async function action(args: ActionFunctionArgs) {
  // Before anything else: a forged cross-origin post must not even reach Clerk.
  const read = await readSameOriginForm(args.request);
  if (!read.ok)
    return json({ ok: false as const, message: read.message, retryAfterSeconds: null }, { status: read.status });
  const userId = await requireUserId(args);
  const { form } = read;
  if (form.get("intent") !== "sync") {
    return json({ ok: false as const, message: "Unknown action.", retryAfterSeconds: null }, { status: 400 });
  }
  const result = await syncUserFromClerk(userId);
  // When the check happened, so an "already up to date" answer can say so without touching "last synced".
  const checkedAt = new Date().toISOString();
  if (result.ok) return json({ ok: true as const, message: result.message, outcome: result.outcome, checkedAt });
  return syncFailureResponse(result.failure, result.message);
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });

const SYNC_SOURCE_LABELS: Record<string, string> = {
  manual: "Sync User Data",
  webhook: "webhook",
  backfill: "backfill",
};

function displayName(profile: { firstName: string | null; lastName: string | null }) {
  return [profile.firstName, profile.lastName].filter(Boolean).join(" ") || null;
}

export default function ProfilePage() {
  const { clerkId, profile, organizations } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const syncing = navigation.state !== "idle" && navigation.formData?.get("intent") === "sync";
  const row = useRevalidateWhileMissing(profile === null);
  const arrived = useArrived(profile !== null);
  const checkedUnchanged = actionData?.ok && (actionData.outcome === "unchanged" || actionData.outcome === "stale");
  const notice = profileNotice(searchParams.get("notice"));

  if (profile?.deletedAt) {
    return (
      <section className="card" aria-labelledby="profile-title">
        <h1 id="profile-title">Account deleted</h1>
        <p role="alert">
          This account was deleted in Clerk on {dateFormat.format(new Date(profile.deletedAt))} UTC. Its personal data
          has been erased from this app.
        </p>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="profile-title">
      <h1 id="profile-title">Your profile</h1>
      {profile ? (
        <div className="profile">
          {profile.imageUrl ? (
            <img className="avatar" src={profile.imageUrl} alt="Your avatar" width={72} height={72} />
          ) : null}
          <dl>
            <dt>Email</dt>
            <dd data-field="email">{profile.email ?? "—"}</dd>
            <dt>Name</dt>
            <dd data-field="name">{displayName(profile) ?? "—"}</dd>
            <dt>Username</dt>
            <dd data-field="username">{profile.username ?? "—"}</dd>
            <dt>Clerk user id</dt>
            <dd data-field="clerk-id">
              <code>{clerkId}</code>
            </dd>
            <dt>Last synced</dt>
            <dd data-field="synced">
              {dateFormat.format(new Date(profile.syncedAt))} UTC by{" "}
              <span data-field="sync-source">{SYNC_SOURCE_LABELS[profile.syncSource] ?? profile.syncSource}</span>
              {checkedUnchanged && !syncing ? (
                <>
                  {"; "}
                  <span data-field="checked">
                    checked <time dateTime={actionData.checkedAt}>just now</time>
                  </span>
                </>
              ) : null}
            </dd>
          </dl>
        </div>
      ) : row.gaveUp ? (
        <div className="notice" data-field="no-row">
          <p>
            Your profile is not in this app's database, and a minute of checking brought nothing, so this page stopped
            checking: its webhook was probably missed (a new or emptied database, or a failed delivery). Use{" "}
            <strong>Sync User Data</strong> below to pull your data straight from Clerk; to bring in every user at once,
            run <code>npm run sync:all</code> on the server.
          </p>
          <button type="button" className="button secondary" onClick={row.checkAgain}>
            Check again
          </button>
        </div>
      ) : (
        <div className="notice" data-field="no-row">
          <p>
            Your profile has not reached this app yet: Clerk's webhook has not arrived. This page checks again every few
            seconds, or sync it now to pull your data straight from Clerk.
          </p>
        </div>
      )}
      <YourOrganizations organizations={organizations} />
      <SyncControls
        intent="sync"
        label="Sync User Data"
        actionData={actionData}
        idleStatus={notice ?? (arrived ? "Your profile has arrived from Clerk." : "")}
      />
    </section>
  );
}

function YourOrganizations({
  organizations,
}: {
  organizations: { name: string | null; slug: string | null; role: string | null }[];
}) {
  return (
    <section className="organizations" aria-labelledby="organizations-title">
      <h2 id="organizations-title">Your organizations</h2>
      {organizations.length === 0 ? (
        <p data-field="no-organizations">
          You are not a member of any organization yet. Create one from the organization menu at the top of the page.
        </p>
      ) : (
        <ul data-field="organizations">
          {organizations.map((organization, index) => (
            // Two live organizations can briefly share a slug (decision 008), so it is no key.
            <li key={index}>
              {organization.slug ? (
                <Link to={`/orgs/${encodeURIComponent(organization.slug)}`}>
                  {organization.name ?? organization.slug}
                </Link>
              ) : (
                (organization.name ?? "—")
              )}{" "}
              <span className="muted" data-field="organization-role">
                ({roleLabel(organization.role)})
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
