import { newId } from "../ids.js";
import { buildEmailAddress, buildUser, type ClerkEmailAddressJSON, type ClerkUserJSON } from "../store/user-json.js";

/** Any field of Clerk's user, with any value: tests also send what Clerk would never (null metadata, odd types). */
export type ClerkUserOverrides = { [K in keyof ClerkUserJSON]?: unknown } & Record<string, unknown>;

/**
 * A Clerk Backend API user (the `data` of a `user.*` webhook), in the same
 * shape the stand-in serves: Ada Lovelace with one verified primary email
 * `<id lowercased>@example.com` whose id is `idn_<the user id's suffix>`.
 * Overrides replace fields as given.
 */
export function buildClerkUser<T extends ClerkUserOverrides = Record<never, never>>(
  overrides: T = {} as T,
): Omit<ClerkUserJSON, keyof T> & T {
  const id = typeof overrides.id === "string" ? overrides.id : newId("user");
  const createdAt = typeof overrides.created_at === "number" ? overrides.created_at : Date.now();
  const email = clerkEmailAddress({
    id: `idn_${id.replace(/^user_/, "")}`,
    email_address: `${id.toLowerCase()}@example.com`,
    created_at: createdAt,
    updated_at: createdAt,
  });
  const user = buildUser({
    id,
    at: createdAt,
    createdAt,
    emails: [email],
    firstName: "Ada",
    lastName: "Lovelace",
    username: null,
    externalId: null,
    passwordEnabled: false,
    publicMetadata: {},
    privateMetadata: {},
    unsafeMetadata: {},
  });
  // Clerk's image URLs, not the stand-in's data: avatars: what the app stores from a real webhook.
  user.image_url = user.profile_image_url = "https://img.clerk.com/preview.png";
  // Clerk keeps the deprecated profile_image_url equal to image_url: an image override sets both.
  const image =
    "image_url" in overrides && !("profile_image_url" in overrides) ? { profile_image_url: overrides.image_url } : {};
  return { ...user, ...image, ...overrides } as Omit<ClerkUserJSON, keyof T> & T;
}

/** One verified email address of a Clerk user; `email_address` is required, the rest defaults. */
export function clerkEmailAddress(
  fields: Partial<ClerkEmailAddressJSON> & { email_address: string },
): ClerkEmailAddressJSON {
  const at = fields.created_at ?? Date.now();
  return { ...buildEmailAddress(fields.email_address, "admin", at), ...fields };
}

/** The `data` of a `user.deleted` event: Clerk sends only this much. */
export function deletedClerkUser(id: string): { object: "user"; id: string; deleted: true } {
  return { object: "user", id, deleted: true };
}
