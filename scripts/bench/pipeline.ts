/**
 * In-process microbenchmark of the webhook pipeline, no HTTP: how many
 * microseconds one delivery costs in `processClerkWebhook`, and how that splits
 * between svix verification, zod parsing and the SQLite transaction. Used to
 * attribute each optimisation; the HTTP figures come from `bench:webhook`.
 *
 *   node --import tsx scripts/bench/pipeline.ts [count=20000]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchEnv, fmt, makeDeliveries } from "./support";

const count = Number(process.argv[2] ?? 20_000);
Object.assign(process.env, benchEnv(join(mkdtempSync(join(tmpdir(), "clerk-sync-pipeline-")), "app.db")), {
  LOG_LEVEL: "silent",
  SQLITE_SYNCHRONOUS: process.env.SQLITE_SYNCHRONOUS ?? "NORMAL",
});

const { processClerkWebhook } = await import("~/webhook/handle-webhook.server");
const { verifyClerkWebhook } = await import("~/webhook/verify-webhook.server");
const { clerkEventSchema, clerkUserSchema } = await import("~/clerk/clerk-user");
const { closeDb, getDb } = await import("~/db/db.server");
getDb();

type Headers = { "svix-id": string; "svix-timestamp": string; "svix-signature": string };
const secrets = [benchEnv("").CLERK_WEBHOOK_SIGNING_SECRET];
const asSvix = (h: Record<string, string>) => h as unknown as Headers;

function time(
  label: string,
  deliveries: ReturnType<typeof makeDeliveries>,
  work: (d: (typeof deliveries)[number]) => unknown,
) {
  const started = performance.now();
  for (const delivery of deliveries) work(delivery);
  const us = ((performance.now() - started) * 1000) / deliveries.length;
  console.log(`  ${label.padEnd(34)} ${fmt(us, 1).padStart(7)} µs/delivery  (${fmt(1e6 / us)}/s on one core)`);
  return us;
}

// Warm-up, then the measured passes, each over fresh deliveries.
for (const d of makeDeliveries(Math.min(count, 5_000), "warm")) processClerkWebhook(d.body, asSvix(d.headers));
const parsed = makeDeliveries(count, "parse").map((d) => JSON.parse(d.body) as { data: unknown });
console.log(`pipeline, ${count} deliveries each (3 of 4 user.created, 1 of 4 user.updated):`);
time("svix verify (+ JSON.parse)", makeDeliveries(count, "verify"), (d) =>
  verifyClerkWebhook(d.body, asSvix(d.headers), secrets),
);
let i = 0;
time("zod envelope + user parse", makeDeliveries(count, "zod"), () => {
  const event = clerkEventSchema.parse(parsed[i]);
  clerkUserSchema.parse(parsed[i++]!.data ?? event.data);
});
time("processClerkWebhook (all of it)", makeDeliveries(count, "all"), (d) => {
  const result = processClerkWebhook(d.body, asSvix(d.headers));
  if (result.status !== 200) throw new Error(`unexpected ${result.status}`);
});
closeDb();
