import type { ApiFault, DeliveryFaultCounts } from "./control/faults.js";
import type { ClerkOrganizationJSON, ClerkOrganizationMembershipJSON } from "./store/organization-json.js";
import type { ErasedState } from "./store/state-file.js";
import type { ClerkUserJSON } from "./store/user-json.js";
import type { DeliveryRecord } from "./webhooks/deliveries.js";

/**
 * What the CLI prints for people: tables with readable times and no avatars
 * (a stand-in user's image is a data: URL of several kilobytes). Times are UTC,
 * as in the app's log lines, so the two can be read side by side. `--json`
 * bypasses all of this.
 */

export interface UserList {
  total_count: number;
  data: ClerkUserJSON[];
}

export interface DeliveryLog {
  pending: number;
  endpoints: string[];
  data: DeliveryRecord[];
}

export interface FaultSnapshot {
  deliveries: DeliveryFaultCounts;
  api: ApiFault | null;
  hung_requests: number;
}

export interface StandInConfig {
  apiUrl: string;
  secretKey: string;
  publishableKey: string;
  webhookSecret: string;
  instanceId: string;
  endpoints: string[];
  timeScale: number;
  env: Record<string, string>;
}

export interface OrganizationList {
  total_count: number;
  data: ClerkOrganizationJSON[];
}

export interface MembershipList {
  total_count: number;
  data: ClerkOrganizationMembershipJSON[];
}

/** Organizations and memberships are named only when a reset found some. */
export type ResetResult =
  | { ok: true; erased: { users: number; deliveries: number; organizations?: number; memberships?: number } }
  | { ok: true; stateFile: string; erased: ErasedState | string };

/** "1 user", "2 users", "0 deliveries". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString("en-US")} ${count === 1 ? singular : pluralForm}`;
}

/** `2026-11-29 03:41:07`, UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** "12 s ago", "in 5 min", "just now". */
export function formatAge(ms: number, now: number): string {
  const seconds = Math.round((ms - now) / 1000);
  const size = Math.abs(seconds);
  if (seconds <= 0 && size < 2) return "just now";
  const amount =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.floor(size / 60)} min`
        : size < 48 * 3600
          ? `${Math.floor(size / 3600)} h`
          : plural(Math.floor(size / 86_400), "day");
  return seconds < 0 ? `${amount} ago` : `in ${amount}`;
}

/** Left-aligned columns two spaces apart; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function primaryEmail(user: ClerkUserJSON): string | undefined {
  const emails = user.email_addresses ?? [];
  return (emails.find((e) => e.id === user.primary_email_address_id) ?? emails[0])?.email_address;
}

function displayName(user: ClerkUserJSON): string {
  return [user.first_name, user.last_name].filter(Boolean).join(" ") || user.username || "";
}

export function formatUsers(list: UserList, now = Date.now()): string {
  if (list.data.length === 0) return "No users.";
  const rows = list.data.map((user) => [
    user.id,
    // Whole: people copy an email into `update --email` or a search; names are only for recognising a row.
    primaryEmail(user) ?? "—",
    clip(displayName(user) || "—", 24),
    formatTime(user.created_at),
    formatAge(user.updated_at, now),
  ]);
  const shown = list.data.length < list.total_count ? ` (showing ${list.data.length.toLocaleString("en-US")})` : "";
  return `${plural(list.total_count, "user")}${shown}; times in UTC\n\n${table(
    ["ID", "EMAIL", "NAME", "CREATED", "UPDATED"],
    rows,
  )}`;
}

function lastResult(record: DeliveryRecord): string {
  const last = record.attempts.at(-1);
  if (!last) return "—";
  return last.status !== undefined ? String(last.status) : clip(last.error ?? "error", 32);
}

export function formatDeliveries(log: DeliveryLog, state?: string, now = Date.now()): string {
  const kind = state ? `${state} ` : "";
  const to = log.endpoints.length ? `to ${log.endpoints.join(", ")}` : "no webhook endpoint set";
  const count = plural(log.data.length, `${kind}delivery`, `${kind}deliveries`);
  const heading = `${count} (${log.pending.toLocaleString("en-US")} pending) ${to}`;
  if (log.data.length === 0) return heading;
  // Only a log with organization events needs the column.
  const withOrganizations = log.data.some((record) => record.organization_id);
  const rows = log.data.map((record) => {
    const last = record.attempts.at(-1);
    return [
      record.id,
      record.type,
      record.user_id ?? "—",
      ...(withOrganizations ? [record.organization_id ?? "—"] : []),
      record.fault && record.fault !== record.state ? `${record.state} (${record.fault})` : record.state,
      String(record.attempts.length),
      lastResult(record),
      last ? formatTime(last.at) : "—",
      record.next_attempt_at === null
        ? "—"
        : record.next_attempt_at <= now
          ? "now"
          : formatAge(record.next_attempt_at, now),
    ];
  });
  return `${heading}; times in UTC\n\n${table(
    [
      "ID",
      "EVENT",
      "USER",
      ...(withOrganizations ? ["ORGANIZATION"] : []),
      "STATE",
      "ATTEMPTS",
      "LAST STATUS",
      "LAST ATTEMPT",
      "NEXT ATTEMPT",
    ],
    rows,
  )}`;
}

function describeUser(user: ClerkUserJSON): string {
  const name = displayName(user);
  const email = primaryEmail(user);
  return [name, email && `<${email}>`].filter(Boolean).join(" ");
}

export function formatUpdated(user: ClerkUserJSON): string {
  return `Updated ${user.id}: ${describeUser(user) || "(no name or email)"}. The app hears user.updated.`;
}

export function formatDeleted(result: { id: string }): string {
  return `Deleted ${result.id}. The app hears user.deleted.`;
}

export function formatSeeded(result: { seeded: number }, emitted: boolean): string {
  return emitted
    ? `Seeded ${plural(result.seeded, "user")}; the app hears user.created for each.`
    : `Seeded ${plural(result.seeded, "user")}, without webhooks (--emit sends user.created).`;
}

/** ", 2 organizations, 5 memberships" when a reset found some, else nothing. */
function organizationsErased(erased: { organizations?: number; memberships?: number }): string[] {
  if (erased.organizations === undefined && erased.memberships === undefined) return [];
  return [plural(erased.organizations ?? 0, "organization"), plural(erased.memberships ?? 0, "membership")];
}

export function formatReset(result: ResetResult): string {
  if (!("stateFile" in result)) {
    const { users, deliveries } = result.erased;
    const erased = [plural(users, "user"), ...organizationsErased(result.erased)];
    return `Reset the running stand-in: erased ${erased.join(", ")} and ${plural(deliveries, "delivery", "deliveries")}, cleared the faults; the keys stay.`;
  }
  if (typeof result.erased === "string")
    return `No stand-in running and no state file at ${result.stateFile}: nothing to erase.`;
  const { users, clients, sessions, deliveries, keys } = result.erased;
  return (
    `No stand-in running; emptied ${result.stateFile}: ${plural(users, "user")}, ` +
    `${[...organizationsErased(result.erased), plural(clients, "client")].join(", ")}, ` +
    `${plural(sessions, "session")}, ${plural(deliveries, "delivery", "deliveries")}, ${plural(keys, "key set")}. ` +
    "The next start makes new keys."
  );
}

export function formatOrganizations(list: OrganizationList, now = Date.now()): string {
  if (list.data.length === 0) return "No organizations.";
  const rows = list.data.map((organization) => [
    organization.id,
    organization.slug,
    clip(organization.name, 32),
    (organization.members_count ?? 0).toLocaleString("en-US"),
    formatTime(organization.created_at),
    formatAge(organization.updated_at, now),
  ]);
  const shown = list.data.length < list.total_count ? ` (showing ${list.data.length.toLocaleString("en-US")})` : "";
  return `${plural(list.total_count, "organization")}${shown}; times in UTC\n\n${table(
    ["ID", "SLUG", "NAME", "MEMBERS", "CREATED", "UPDATED"],
    rows,
  )}`;
}

/** `admin`, `member`: what people type; the `org:` prefix is Clerk's key. */
function roleLabel(role: string): string {
  return role.replace(/^org:/, "");
}

function describeMember(membership: ClerkOrganizationMembershipJSON): string {
  const member = membership.public_user_data;
  const name = [member.first_name, member.last_name].filter(Boolean).join(" ");
  const details = [name, member.identifier && `<${member.identifier}>`].filter(Boolean).join(" ");
  return details ? `${details} (${member.user_id})` : member.user_id;
}

export function formatMembers(list: MembershipList, now = Date.now()): string {
  if (list.data.length === 0) return "No members.";
  const { name, slug } = list.data[0].organization;
  const rows = list.data.map((membership) => [
    membership.public_user_data.user_id,
    membership.public_user_data.identifier ?? "—",
    clip(
      [membership.public_user_data.first_name, membership.public_user_data.last_name].filter(Boolean).join(" ") || "—",
      24,
    ),
    roleLabel(membership.role),
    formatTime(membership.created_at),
    formatAge(membership.updated_at, now),
  ]);
  return `${plural(list.total_count, "member")} of ${name} (${slug}); times in UTC\n\n${table(
    ["USER", "IDENTIFIER", "NAME", "ROLE", "JOINED", "UPDATED"],
    rows,
  )}`;
}

/** What `org create|update|delete` did, in a line. */
export function formatOrganizationChange(
  action: "create" | "update" | "delete",
  result: ClerkOrganizationJSON | { id: string },
): string {
  if (action === "delete") return `Deleted ${result.id} and its memberships. The app hears organization.deleted.`;
  const organization = result as ClerkOrganizationJSON;
  const named = `${organization.id}: ${organization.name} (slug ${organization.slug})`;
  if (action === "update") return `Updated ${named}. The app hears organization.updated.`;
  return organization.created_by
    ? `Created ${named}, with ${organization.created_by} as its admin. The app hears organization.created and organizationMembership.created.`
    : `Created ${named}, with no members. The app hears organization.created.`;
}

/** What `member add|role|remove` did, in a line. */
export function formatMembershipChange(
  action: "add" | "role" | "remove",
  membership: ClerkOrganizationMembershipJSON,
): string {
  const member = describeMember(membership);
  const organization = membership.organization.name;
  const role = roleLabel(membership.role);
  if (action === "add")
    return `Added ${member} to ${organization} as ${role}. The app hears organizationMembership.created.`;
  if (action === "role")
    return `${member} is now ${role} in ${organization}. The app hears organizationMembership.updated.`;
  return `Removed ${member} from ${organization}. The app hears organizationMembership.deleted.`;
}

export function formatWait(result: { pending: number }): string {
  return result.pending === 0
    ? "Every delivery has settled."
    : `${plural(result.pending, "delivery", "deliveries")} still pending.`;
}

export function formatFaults(faults: FaultSnapshot): string {
  const { fail, drop, duplicate, reorder } = faults.deliveries;
  const delivery = [
    fail && `fail the next ${plural(fail, "attempt")}`,
    drop && `drop the next ${plural(drop, "message")}`,
    duplicate && `send the next ${plural(duplicate, "message")} twice`,
    reorder && `hold the next ${plural(reorder, "message")} and send them in reverse order`,
  ].filter(Boolean);
  const { api } = faults;
  const apiLine = api
    ? `answer ${api.mode === "hang" ? "nothing (hang)" : api.mode}${api.mode === "429" ? ` with Retry-After ${api.retry_after} s` : ""} ` +
      (api.remaining === null ? "until cleared" : `to the next ${plural(api.remaining, "request")}`)
    : "none";
  const hung = faults.hung_requests ? `\nHung requests:   ${faults.hung_requests.toLocaleString("en-US")}` : "";
  return `Delivery faults: ${delivery.join(", ") || "none"}\nBackend API:     ${apiLine}${hung}`;
}

export function formatConfig(config: StandInConfig): string {
  const rows = [
    ["Backend API", config.apiUrl],
    ["Instance", config.instanceId],
    ["Publishable key", config.publishableKey],
    ["Secret key", config.secretKey],
    ["Webhook secret", config.webhookSecret],
    ["Webhooks to", config.endpoints.join(", ") || "no endpoint set"],
    ["Retry time scale", String(config.timeScale)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n")}\n\nThe app's environment, JWT key included: npm run clerk:stand-in -- env`;
}

/** The environment an app runs on against this stand-in: it refuses stand-in keys unless OFFLINE_MODE=1 says so on purpose. */
export function appEnvironment(env: Record<string, string>): Record<string, string> {
  return { ...env, OFFLINE_MODE: "1" };
}

/** POSIX single quotes: nothing inside is expanded; a quote is closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME='value'` lines that `eval` (or a paste into a shell) takes back exactly. */
export function formatExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${JSON.stringify(name)} is not a variable name`);
      return `export ${name}=${shellQuote(value)}`;
    })
    .join("\n");
}
