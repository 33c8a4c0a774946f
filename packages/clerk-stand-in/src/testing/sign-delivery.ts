import { Webhook } from "svix";
import { newId } from "../ids.js";

export interface SvixHeaders {
  "svix-id": string;
  "svix-timestamp": string;
  "svix-signature": string;
}

/**
 * Svix's three headers over the exact body bytes, signed with the `svix`
 * library itself, so a receiver cannot tell them from Svix's. Retries of one
 * message share the svix-id and carry a new timestamp.
 */
export function signDelivery(
  secret: string,
  body: string,
  options: { svixId?: string; timestamp?: Date } = {},
): SvixHeaders {
  const svixId = options.svixId ?? newId("msg");
  // The header carries whole seconds, and the signature covers that same value.
  const timestamp = new Date(Math.floor((options.timestamp ?? new Date()).getTime() / 1000) * 1000);
  return {
    "svix-id": svixId,
    "svix-timestamp": String(timestamp.getTime() / 1000),
    "svix-signature": new Webhook(secret).sign(svixId, timestamp, body),
  };
}
