import type { ApiFault, DeliveryFaultCounts } from "./control/faults.js";
import type { StateCounts } from "./store/state-file.js";
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

export type ResetResult =
  | { ok: true; erased: { users: number; deliveries: number } }
  | { ok: true; stateFile: string; erased: (StateCounts & { keys: number }) | string };

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
  const rows = log.data.map((record) => {
    const last = record.attempts.at(-1);
    return [
      record.id,
      record.type,
      record.user_id,
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
    ["ID", "EVENT", "USER", "STATE", "ATTEMPTS", "LAST STATUS", "LAST ATTEMPT", "NEXT ATTEMPT"],
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

export function formatReset(result: ResetResult): string {
  if (!("stateFile" in result)) {
    const { users, deliveries } = result.erased;
    return `Reset the running stand-in: erased ${plural(users, "user")} and ${plural(deliveries, "delivery", "deliveries")}, cleared the faults; the keys stay.`;
  }
  if (typeof result.erased === "string")
    return `No stand-in running and no state file at ${result.stateFile}: nothing to erase.`;
  const { users, clients, sessions, deliveries, keys } = result.erased;
  return (
    `No stand-in running; emptied ${result.stateFile}: ${plural(users, "user")}, ${plural(clients, "client")}, ` +
    `${plural(sessions, "session")}, ${plural(deliveries, "delivery", "deliveries")}, ${plural(keys, "key set")}. ` +
    "The next start makes new keys."
  );
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
