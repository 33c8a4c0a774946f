import { getAuth } from "@clerk/remix/ssr.server";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { syncUserFromClerk } from "~/clerk/sync-user.server";
import { findUserByClerkId } from "~/db/user-writer.server";

export const meta: MetaFunction = () => [{ title: "Your profile · clerk-sync" }];

async function requireUserId(args: LoaderFunctionArgs | ActionFunctionArgs): Promise<string> {
  const { userId } = await getAuth(args);
  if (!userId) {
    const url = new URL(args.request.url);
    throw redirect(`/sign-in?redirect_url=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return userId;
}

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
  });
}

export async function action(args: ActionFunctionArgs) {
  const userId = await requireUserId(args);
  const form = await args.request.formData();
  if (form.get("intent") !== "sync") {
    return json({ ok: false as const, message: "Unknown action." }, { status: 400 });
  }
  const result = await syncUserFromClerk(userId);
  if (result.ok) return json({ ok: true as const, message: result.message });
  const status = { not_found: 404, rate_limited: 429, timeout: 504, unavailable: 502 }[result.failure.kind];
  return json({ ok: false as const, message: result.message }, { status });
}

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });

function displayName(profile: { firstName: string | null; lastName: string | null }) {
  return [profile.firstName, profile.lastName].filter(Boolean).join(" ") || null;
}

export default function ProfilePage() {
  const { clerkId, profile } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const syncing = navigation.state !== "idle" && navigation.formData?.get("intent") === "sync";

  if (profile?.deletedAt) {
    return (
      <section className="card" aria-labelledby="profile-title">
        <h1 id="profile-title">Account deleted</h1>
        <p role="alert">
          This account was deleted in Clerk on {dateFormat.format(profile.deletedAt)} UTC. Its personal data has been
          erased from this app.
        </p>
      </section>
    );
  }

  return (
    <section className="card" aria-labelledby="profile-title">
      <h1 id="profile-title">Your profile</h1>
      {profile ? (
        <div className="profile">
          {profile.imageUrl ? <img className="avatar" src={profile.imageUrl} alt="Your avatar" width={72} height={72} /> : null}
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
              {dateFormat.format(profile.syncedAt)} UTC by <span data-field="sync-source">{profile.syncSource}</span>
            </dd>
          </dl>
        </div>
      ) : (
        <p className="notice" data-field="no-row">
          Your profile has not reached this app yet: Clerk's webhook has not arrived. Sync it now to pull your data
          straight from Clerk.
        </p>
      )}
      <Form method="post" className="sync-form">
        <button type="submit" name="intent" value="sync" disabled={syncing} aria-busy={syncing}>
          {syncing ? "Syncing…" : "Sync User Data"}
        </button>
      </Form>
      {actionData && !syncing ? (
        actionData.ok ? (
          <p className="status success" role="status">
            {actionData.message}
          </p>
        ) : (
          <p className="status error" role="alert">
            {actionData.message}
          </p>
        )
      ) : null}
    </section>
  );
}
