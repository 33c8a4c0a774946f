import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { requireUserId } from "~/auth.server";
import { roleLabel } from "~/components/organization-role";
import { profileWithNotice } from "~/components/profile-notices";
import { SyncControls } from "~/components/sync-controls";
import {
  findLiveOrganization,
  findOrganizationBySlug,
  isLiveMember,
  listMembersOfOrganization,
} from "~/db/organization-reader.server";
import { readSameOriginForm } from "~/same-origin.server";
import { PRIVATE_PAGE_CACHE_CONTROL } from "~/security-headers.server";
import { syncFailureResponse } from "~/sync/sync-failure.server";
import { syncOrganizationFromClerk } from "~/sync/sync-organization.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.organization.name ?? data.organization.slug} · clerk-sync` : "Page not found · clerk-sync" },
];

// Other people's names and emails: never kept by a shared cache or the browser's back/forward store.
export const headers: HeadersFunction = () => ({ "Cache-Control": PRIVATE_PAGE_CACHE_CONTROL });

/** The organization at this address, if the signed-in user is a live member of it; a 404 for anyone else. */
async function requireMembersOrganization(args: LoaderFunctionArgs | ActionFunctionArgs) {
  const userId = await requireUserId(args);
  const organization = findOrganizationBySlug(args.params.slug ?? "");
  // One answer for "no such organization" and "not yours": an outsider learns nothing about which slugs exist.
  if (!organization || !isLiveMember(organization.clerkId, userId)) throw new Response(null, { status: 404 });
  return { userId, organization };
}

export async function loader(args: LoaderFunctionArgs) {
  const { userId, organization } = await requireMembersOrganization(args);
  return json({
    organization: { name: organization.name, slug: organization.slug },
    members: listMembersOfOrganization(organization.clerkId).map((member) => ({
      name: [member.firstName, member.lastName].filter(Boolean).join(" ") || null,
      email: member.email,
      role: member.role,
      isYou: member.userClerkId === userId,
    })),
  });
}

export async function action(args: ActionFunctionArgs) {
  // Before anything else: a forged cross-origin post must not even reach Clerk.
  const read = await readSameOriginForm(args.request);
  if (!read.ok)
    return json({ ok: false as const, message: read.message, retryAfterSeconds: null }, { status: read.status });
  const { userId, organization } = await requireMembersOrganization(args);
  if (read.form.get("intent") !== "sync-organization") {
    return json({ ok: false as const, message: "Unknown action.", retryAfterSeconds: null }, { status: 400 });
  }
  const result = await syncOrganizationFromClerk(organization.clerkId);
  if (!result.ok) return syncFailureResponse(result.failure, result.message);
  // This page would now be a 404: the profile says why instead.
  if (result.outcome === "deleted") return redirect(profileWithNotice("organization-deleted"));
  if (!isLiveMember(organization.clerkId, userId)) return redirect(profileWithNotice("left-organization"));
  const slug = findLiveOrganization(organization.clerkId)?.slug;
  // A slug changed in Clerk moves the page: this address would now be a 404.
  if (slug && slug !== organization.slug) return redirect(`/orgs/${encodeURIComponent(slug)}`);
  return json({ ok: true as const, message: result.message });
}

export default function OrganizationPage() {
  const { organization, members } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const title = organization.name ?? organization.slug;
  return (
    <section className="card" aria-labelledby="organization-title">
      <h1 id="organization-title">{title}</h1>
      <p className="muted">
        Members of this organization as this app's database has them; Clerk's webhooks keep the list in step. If one was
        missed, sync the organization to pull it and its members straight from Clerk.
      </p>
      <table className="members">
        <caption>
          <h2>Members</h2>
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
          </tr>
        </thead>
        <tbody>
          {members.map((member, index) => (
            <tr key={index} data-member={member.email ?? ""}>
              <th scope="row" data-field="member-name">
                {member.name ?? "—"}
                {member.isYou ? " (you)" : null}
              </th>
              <td data-field="member-email">{member.email ?? "—"}</td>
              <td data-field="member-role">{roleLabel(member.role)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <SyncControls intent="sync-organization" label="Sync organization" actionData={actionData} />
      <p>
        <Link to="/profile">Back to your profile</Link>
      </p>
    </section>
  );
}
