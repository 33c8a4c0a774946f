import { getDb } from "~/db/db.server";

/** Raw reads for assertions: tests look at the tables the way outside tools do. */
export function sqlite() {
  return getDb().$client;
}

export function userRow(clerkId: string): Record<string, any> | undefined {
  return sqlite().prepare("select * from users where clerk_id = ?").get(clerkId) as Record<string, any> | undefined;
}

export function eventRow(svixId: string): Record<string, any> | undefined {
  return sqlite().prepare("select * from webhook_events where svix_id = ?").get(svixId) as
    Record<string, any> | undefined;
}

export function counts() {
  const db = sqlite();
  return {
    users: (db.prepare("select count(*) n from users").get() as { n: number }).n,
    events: (db.prepare("select count(*) n from webhook_events").get() as { n: number }).n,
  };
}
