import { json } from "@remix-run/node";
import { getDb } from "~/db/db.server";

// For load balancers, tunnels and the benchmark's "what does remix-serve cost
// with no work at all" ceiling: answers once the database answers.
export const loader = () => {
  getDb().$client.prepare("select 1").get();
  return json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
};
