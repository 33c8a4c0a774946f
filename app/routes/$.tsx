import type { MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { NotFound } from "~/components/not-found";

// Every address no other route claims: answered inside the site's own layout, with a real 404 status.
export const loader = () => json({}, { status: 404 });

export const meta: MetaFunction = () => [{ title: "Page not found · clerk-sync" }];

export default function UnknownPage() {
  return <NotFound />;
}
