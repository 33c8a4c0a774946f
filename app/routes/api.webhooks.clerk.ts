import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { handleClerkWebhook } from "~/webhook/handle-webhook.server";

// Clerk → Svix → here. A resource route: no UI, POST only (405 otherwise).
export const action = ({ request }: ActionFunctionArgs) => handleClerkWebhook(request);
export const loader = ({ request }: LoaderFunctionArgs) => handleClerkWebhook(request);
