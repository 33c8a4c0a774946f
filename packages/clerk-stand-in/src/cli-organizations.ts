/**
 * The CLI's `org create|update|delete` and `member add|role|remove`: their
 * arguments checked and turned into control API calls. What they print is in
 * cli-format.ts; `--json` prints the control API's answer as it is.
 */

export type Control = (path: string, method?: string, body?: unknown) => Promise<unknown>;

export const ORGANIZATION_ACTIONS = ["create", "update", "delete"] as const;
export const MEMBERSHIP_ACTIONS = ["add", "role", "remove"] as const;
export type OrganizationAction = (typeof ORGANIZATION_ACTIONS)[number];
export type MembershipAction = (typeof MEMBERSHIP_ACTIONS)[number];

interface OrganizationValues {
  slug?: string;
  by?: string;
  name?: string;
  role?: string;
}

export function organizationPath(id: string | undefined, usage: string): string {
  if (!id) throw new Error(`${usage} needs an organization (org_… or its slug); \`orgs\` lists them.`);
  return `/_control/organizations/${encodeURIComponent(id)}`;
}

export async function organizationCommand(
  [action, ...args]: string[],
  values: OrganizationValues,
  control: Control,
): Promise<unknown> {
  if (action === "create") {
    const [name] = args;
    if (!name) throw new Error("org create needs a name: clerk-stand-in org create <name> [--slug s] [--by user_…]");
    return control("/_control/organizations", "POST", {
      name,
      ...(values.slug !== undefined ? { slug: values.slug } : {}),
      ...(values.by !== undefined ? { created_by: values.by } : {}),
    });
  }
  if (action === "update") {
    const patch = {
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.slug !== undefined ? { slug: values.slug } : {}),
    };
    if (Object.keys(patch).length === 0) throw new Error("org update needs at least one of --name, --slug");
    return control(organizationPath(args[0], "org update"), "PATCH", patch);
  }
  if (action === "delete") return control(organizationPath(args[0], "org delete"), "DELETE");
  throw new Error(`org needs one of ${ORGANIZATION_ACTIONS.join(", ")}: clerk-stand-in org create <name>`);
}

export async function membershipCommand(
  [action, organization, user, role]: string[],
  values: OrganizationValues,
  control: Control,
): Promise<unknown> {
  if (!(MEMBERSHIP_ACTIONS as readonly string[]).includes(action)) {
    throw new Error(`member needs one of ${MEMBERSHIP_ACTIONS.join(", ")}: clerk-stand-in member add <org> <user>`);
  }
  const memberships = `${organizationPath(organization, `member ${action}`)}/memberships`;
  if (!user) throw new Error(`member ${action} needs a user (user_…): clerk-stand-in member ${action} <org> <user>`);
  if (action === "add") {
    return control(memberships, "POST", { user_id: user, role: clerkRole(values.role ?? "member") });
  }
  const membership = `${memberships}/${encodeURIComponent(user)}`;
  if (action === "role") {
    if (!role) throw new Error("member role needs a role: clerk-stand-in member role <org> <user> admin|member");
    return control(membership, "PATCH", { role: clerkRole(role) });
  }
  return control(membership, "DELETE");
}

/** `admin` and `member` as people type them, or Clerk's own keys. */
function clerkRole(role: string): string {
  const key = role.startsWith("org:") ? role : `org:${role}`;
  if (key !== "org:admin" && key !== "org:member") throw new Error(`role must be admin or member, not "${role}"`);
  return key;
}
