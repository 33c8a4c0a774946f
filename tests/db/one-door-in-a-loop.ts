import { clerkEvent } from "@clerk-sync/clerk-stand-in/testing";
import { getDb } from "~/db/db.server";
import { syncUserFromClerk } from "~/sync/sync-user.server";
import { handleClerkWebhook } from "~/webhook/handle-webhook.server";
import { signBody } from "../support/clerk-webhooks";

/**
 * One door for one user, over and over, from a process of its own (its own
 * SQLite connection), for a-sync-and-a-webhook-racing-for-one-user-keep-the-newest.test.ts:
 *   node --import tsx tests/db/one-door-in-a-loop.ts sync <userId>          Sync User Data until told "stop"
 *   node --import tsx tests/db/one-door-in-a-loop.ts webhook <userId> <n>   n times: change the user in Clerk,
 *                                                                           then deliver its user.updated
 * Says "ready" over IPC once its modules and database are open, starts on "go", and ends by sending what
 * each call answered: { outcomes, failures }.
 */

const [door, userId, rounds] = process.argv.slice(2);
const outcomes: Record<string, number> = {};
const failures: string[] = [];
const count = (outcome: string) => (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);
let stopped = false;

async function syncOnce(): Promise<void> {
  try {
    const result = await syncUserFromClerk(userId);
    if (result.ok) count(result.outcome);
    else failures.push(`sync: ${result.failure.kind}`);
  } catch (error) {
    // What the profile action would have turned into a 500.
    failures.push(`sync threw: ${String(error)}`);
  }
}

async function changeInClerkThenDeliver(round: number): Promise<void> {
  const env = process.env as Record<string, string>;
  const changed = await fetch(`${env.CLERK_API_URL}/v1/users/${userId}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${env.CLERK_SECRET_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ first_name: `Round ${round}` }),
  });
  if (changed.status !== 200) return void failures.push(`Clerk answered the change ${changed.status}`);
  const body = JSON.stringify(clerkEvent("user.updated", await changed.json()));
  const response = await handleClerkWebhook(
    new Request("http://localhost/api/webhooks/clerk", {
      method: "POST",
      headers: signBody(body, { secret: env.CLERK_WEBHOOK_SIGNING_SECRET }),
      body,
    }),
  );
  const answer = (await response.json()) as { outcome?: string };
  if (response.status === 200 && answer.outcome) count(answer.outcome);
  else failures.push(`webhook answered ${response.status} ${JSON.stringify(answer)}`);
}

async function run(): Promise<void> {
  if (door === "sync") {
    while (!stopped) await syncOnce();
  } else {
    for (let round = 1; round <= Number(rounds); round++) await changeInClerkThenDeliver(round);
  }
  process.send!({ outcomes, failures }, () => process.disconnect());
}

getDb();
process.on("message", (message) => {
  if (message === "go") void run();
  if (message === "stop") stopped = true;
});
process.send!("ready");
