import { buildClerkUser } from "@clerk-sync/clerk-stand-in/testing";
import { clerkUserSchema, clerkUserToRow } from "~/clerk/clerk-user";
import { getDb } from "~/db/db.server";
import { upsertUserFromClerk, upsertUsersFromClerk } from "~/db/user-writer.server";
import { describeSync } from "~/sync/sync-user.server";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { clerkEvent, signBody } from "../support/clerk-webhooks";

/**
 * Run inside a copy of the project whose schema and payload mapping gained `locale`
 * (a-new-column-needs-only-the-schema-and-the-payload-mapping.test.ts): every door writes,
 * compares and erases it. Prints what it found as one JSON line.
 */

const db = getDb();
const column = (id: string) =>
  (db.$client.prepare("select locale from users where clerk_id = ?").get(id) as { locale: unknown }).locale;
const T = Date.now() - 60_000;
const deliver = (type: string, data: unknown) => {
  const body = JSON.stringify(clerkEvent(type, data));
  return processClerkWebhook(body, signBody(body) as never, { db }).body;
};

const viaWebhook = buildClerkUser({ locale: "fr-FR", updated_at: T });
const created = deliver("user.created", viaWebhook);
const afterCreate = column(viaWebhook.id);
const changed = deliver("user.updated", { ...viaWebhook, locale: "de-DE", updated_at: T + 1 });
const afterChange = column(viaWebhook.id);
const deleted = deliver("user.deleted", { object: "user", id: viaWebhook.id, deleted: true });
const afterDelete = column(viaWebhook.id);

const fields = (overrides: Record<string, unknown>) => clerkUserToRow(clerkUserSchema.parse(buildClerkUser(overrides)));
const viaSync = fields({ locale: "en-US", updated_at: T });
upsertUserFromClerk(viaSync, "manual", db);
const syncChange = upsertUserFromClerk({ ...viaSync, locale: "en-GB" } as typeof viaSync, "manual", db);

const page = Array.from({ length: 150 }, (_, i) => fields({ locale: `x-page-${i}`, updated_at: T }));
upsertUsersFromClerk(page, "backfill", db);

console.log(
  JSON.stringify({
    webhook: { created, afterCreate, changed, afterChange, deleted, afterDelete },
    sync: { stored: column(viaSync.clerkId), syncChange, message: describeSync(syncChange) },
    page: page.map((user) => column(user.clerkId)),
  }),
);
