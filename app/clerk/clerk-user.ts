import { z } from "zod";

/**
 * The shapes of Clerk's user payloads, as they arrive in webhooks and from the
 * Backend API (`User.raw`). Deliberately lenient: Clerk adds fields, older
 * payloads lack some, and the OpenAPI examples have empty `email_addresses`
 * with `primary_email_address_id` set. We insist only on what we store, and
 * keep only that: other fields are dropped.
 */

// No transforms and no pass-through of unknown keys: zod then compiles the check to
// plain code, many times faster, and the backfill validates every user it reads at
// Clerk's full rate (docs/benchmarks.md#why-the-backfills-code-is-as-it-is).
// clerkUserToRow fills the defaults.
const optionalText = z.string().nullish();
// Clerk's metadata is any JSON object; stored as JSON text. A predicate rather than z.record (as organizations have):
// on parsed JSON, whose keys are strings, it is the same check without visiting every key, and every user the
// backfill reads pays for it (docs/benchmarks.md#the-whole-user-and-the-backfill).
const metadata = z
  .custom<Record<string, unknown> | null>(
    (value) => value === null || (typeof value === "object" && !Array.isArray(value)),
  )
  .optional();

const emailAddressSchema = z.object({
  id: z.string(),
  email_address: z.string(),
});

export const clerkUserSchema = z.object({
  id: z.string().min(1),
  object: z.literal("user").optional(),
  email_addresses: z.array(emailAddressSchema).nullish(),
  primary_email_address_id: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  username: optionalText,
  image_url: optionalText,
  profile_image_url: optionalText,
  public_metadata: metadata,
  private_metadata: metadata,
  last_sign_in_at: z.number().int().nonnegative().nullish(),
  banned: z.boolean().nullish(),
  external_id: optionalText,
  created_at: z.number().int().nonnegative(),
  updated_at: z.number().int().nonnegative(),
});
export type ClerkUserPayload = z.infer<typeof clerkUserSchema>;

/** `user.deleted` carries only `{ object, id, deleted }`, and Clerk types `id` as optional. */
export const deletedClerkUserSchema = z.looseObject({
  object: z.literal("user").optional(),
  id: z.string().min(1).optional(),
  deleted: z.boolean().optional(),
});

/** The envelope; `timestamp` is seconds in some payload versions and ms in others, so it is never used for ordering. */
export const clerkEventSchema = z.looseObject({
  type: z.string().min(1),
  object: z.literal("event").optional(),
  data: z.unknown(),
  timestamp: z.number().optional(),
  instance_id: z.string().optional(),
});

export const USER_EVENT_TYPES = ["user.created", "user.updated", "user.deleted"] as const;
export type UserEventType = (typeof USER_EVENT_TYPES)[number];

export function isUserEventType(type: string): type is UserEventType {
  return (USER_EVENT_TYPES as readonly string[]).includes(type);
}

/** The columns a Clerk user fills in `users`; everything else about a row is bookkeeping. */
export interface ClerkUserFields {
  clerkId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  imageUrl: string | null;
  publicMetadata: string | null;
  privateMetadata: string | null;
  lastSignInAt: number | null;
  banned: boolean | null;
  externalId: string | null;
  clerkCreatedAt: number;
  clerkUpdatedAt: number;
}

export function primaryEmailOf(user: ClerkUserPayload): string | null {
  // The primary address, not the first one: users can add addresses and switch.
  const primary = user.email_addresses?.find((address) => address.id === user.primary_email_address_id);
  return primary?.email_address ?? null;
}

const jsonText = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export function clerkUserToRow(user: ClerkUserPayload): ClerkUserFields {
  return {
    clerkId: user.id,
    email: primaryEmailOf(user),
    firstName: user.first_name ?? null,
    lastName: user.last_name ?? null,
    username: user.username ?? null,
    imageUrl: user.image_url ?? user.profile_image_url ?? null,
    publicMetadata: jsonText(user.public_metadata),
    privateMetadata: jsonText(user.private_metadata),
    lastSignInAt: user.last_sign_in_at ?? null,
    banned: user.banned ?? null,
    externalId: user.external_id ?? null,
    clerkCreatedAt: user.created_at,
    clerkUpdatedAt: user.updated_at,
  };
}
