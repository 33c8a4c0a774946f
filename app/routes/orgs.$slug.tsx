import type { HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireUserId } from "~/auth.server";
import { roleLabel } from "~/components/organization-role";
import { findOrganizationBySlug, isLiveMember, listMembersOfOrganization } from "~/db/organization-reader.server";
import { PRIVATE_PAGE_CACHE_CONTROL } from "~/security-headers.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.organization.name ?? data.organization.slug} · clerk-sync` : "Page not found · clerk-sync" },
];

// Other people's names and emails: never kept by a shared cache or the browser's back/forward store.
export const headers: HeadersFunction = () => ({ "Cache-Control": PRIVATE_PAGE_CACHE_CONTROL });

export async function loader(args: LoaderFunctionArgs) {
  const userId = await requireUserId(args);
  const organization = findOrganizationBySlug(args.params.slug ?? "");
  // One answer for "no such organization" and "not yours": an outsider learns nothing about which slugs exist.
  if (!organization || !isLiveMember(organization.clerkId, userId)) throw new Response(null, { status: 404 });
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

export default function OrganizationPage() {
  const { organization, members } = useLoaderData<typeof loader>();
  const title = organization.name ?? organization.slug;
  return (
    <section className="card" aria-labelledby="organization-title">
      <h1 id="organization-title">{title}</h1>
      <p className="muted">
        Members of this organization as this app's database has them; Clerk's webhooks keep the list in step.
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
      <p>
        <Link to="/profile">Back to your profile</Link>
      </p>
    </section>
  );
}
