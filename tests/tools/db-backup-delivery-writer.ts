import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { openDatabase } from "~/db/db.server";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * Webhook deliveries landing in DATABASE_URL from a process of their own, through
 * the webhook's path (verify, then the ledger row and the user in one transaction):
 *   node --import tsx tests/tools/db-backup-delivery-writer.ts <n>   n deliveries, then exit
 *   node --import tsx tests/tools/db-backup-delivery-writer.ts       one after another until stdin closes
 * Prints each delivered user's Clerk id once its transaction has committed.
 */

const db = openDatabase();

function deliverOne(): void {
  const user = clerkUser();
  const body = JSON.stringify(clerkEvent("user.created", user));
  const outcome = processClerkWebhook(body, signBody(body), { secrets: [TEST_WEBHOOK_SECRET], db });
  if (outcome.status !== 200) throw new Error(`delivery answered ${outcome.status}: ${JSON.stringify(outcome.body)}`);
  process.stdout.write(`${user.id}\n`);
}

const count = process.argv[2];
if (count !== undefined) {
  for (let i = 0; i < Number(count); i++) deliverOne();
  db.$client.close();
} else {
  let open = true;
  process.stdin.on("end", () => (open = false)).resume();
  const next = () => {
    if (!open) return db.$client.close();
    deliverOne();
    setImmediate(next);
  };
  next();
}
