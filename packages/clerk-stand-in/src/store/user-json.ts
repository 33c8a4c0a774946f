import { newId } from "../ids.js";

export type Metadata = Record<string, unknown>;

export type EmailVerificationStrategy = "admin" | "email_code" | "email_link" | "ticket";

export interface ClerkEmailAddressJSON {
  object: "email_address";
  id: string;
  email_address: string;
  reserved: boolean;
  verification: {
    object: string;
    status: "verified";
    strategy: EmailVerificationStrategy;
    attempts: number | null;
    expire_at: number | null;
  };
  linked_to: Array<{ type: string; id: string }>;
  matches_sso_connection: boolean;
  created_at: number;
  updated_at: number;
}

/** Clerk's Backend API `User` object (bapi 2026-05-12 schema), snake_case, timestamps in ms. */
export interface ClerkUserJSON {
  object: "user";
  id: string;
  external_id: string | null;
  primary_email_address_id: string | null;
  primary_phone_number_id: string | null;
  primary_web3_wallet_id: string | null;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  locale: string | null;
  profile_image_url: string;
  image_url: string;
  has_image: boolean;
  public_metadata: Metadata;
  private_metadata: Metadata;
  unsafe_metadata: Metadata;
  email_addresses: ClerkEmailAddressJSON[];
  phone_numbers: unknown[];
  web3_wallets: unknown[];
  passkeys: unknown[];
  password_enabled: boolean;
  two_factor_enabled: boolean;
  totp_enabled: boolean;
  backup_code_enabled: boolean;
  mfa_enabled_at: number | null;
  mfa_disabled_at: number | null;
  password_last_updated_at: number | null;
  external_accounts: unknown[];
  saml_accounts: unknown[];
  enterprise_accounts: unknown[];
  organization_memberships: unknown[];
  last_sign_in_at: number | null;
  banned: boolean;
  locked: boolean;
  lockout_expires_in_seconds: number | null;
  verification_attempts_remaining: number | null;
  created_at: number;
  updated_at: number;
  delete_self_enabled: boolean;
  create_organization_enabled: boolean;
  create_organizations_limit: number | null;
  last_active_at: number | null;
  legal_accepted_at: number | null;
  bypass_client_trust: boolean;
}

const VERIFICATION_OBJECT: Record<EmailVerificationStrategy, string> = {
  admin: "verification_admin",
  email_code: "verification_otp",
  email_link: "verification_email_link",
  ticket: "verification_ticket",
};

export function buildEmailAddress(
  emailAddress: string,
  strategy: EmailVerificationStrategy,
  at: number,
): ClerkEmailAddressJSON {
  return {
    object: "email_address",
    id: newId("idn"),
    email_address: emailAddress,
    reserved: false,
    verification: {
      object: VERIFICATION_OBJECT[strategy],
      status: "verified",
      strategy,
      // Clerk reports the attempts used by an OTP; admin-created addresses have none.
      attempts: strategy === "email_code" ? 1 : null,
      expire_at: strategy === "email_code" ? at + 10 * 60_000 : null,
    },
    linked_to: [],
    matches_sso_connection: false,
    created_at: at,
    updated_at: at,
  };
}

const AVATAR_COLOURS = ["#6c47ff", "#0f766e", "#b45309", "#be123c", "#1d4ed8", "#4d7c0f"];

// A data: URL so that neither the app nor clerk-js ever fetches an outside image.
export function avatarDataUrl(seed: string, firstName: string | null, lastName: string | null): string {
  const initials = `${firstName?.[0] ?? ""}${lastName?.[0] ?? ""}`.toUpperCase() || "?";
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const colour = AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="${colour}"/>` +
    `<text x="32" y="40" font-family="sans-serif" font-size="24" fill="#fff" text-anchor="middle">${escapeXml(initials)}</text></svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function buildUser(fields: {
  id: string;
  at: number;
  createdAt: number;
  emails: ClerkEmailAddressJSON[];
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  externalId: string | null;
  passwordEnabled: boolean;
  publicMetadata: Metadata;
  privateMetadata: Metadata;
  unsafeMetadata: Metadata;
}): ClerkUserJSON {
  const image = avatarDataUrl(fields.id, fields.firstName, fields.lastName);
  return {
    object: "user",
    id: fields.id,
    external_id: fields.externalId,
    primary_email_address_id: fields.emails[0]?.id ?? null,
    primary_phone_number_id: null,
    primary_web3_wallet_id: null,
    username: fields.username,
    first_name: fields.firstName,
    last_name: fields.lastName,
    locale: null,
    profile_image_url: image,
    image_url: image,
    has_image: false,
    public_metadata: fields.publicMetadata,
    private_metadata: fields.privateMetadata,
    unsafe_metadata: fields.unsafeMetadata,
    email_addresses: fields.emails,
    phone_numbers: [],
    web3_wallets: [],
    passkeys: [],
    password_enabled: fields.passwordEnabled,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    mfa_enabled_at: null,
    mfa_disabled_at: null,
    password_last_updated_at: fields.passwordEnabled ? fields.createdAt : null,
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    organization_memberships: [],
    last_sign_in_at: null,
    banned: false,
    locked: false,
    lockout_expires_in_seconds: null,
    verification_attempts_remaining: 100,
    created_at: fields.createdAt,
    updated_at: fields.at,
    delete_self_enabled: true,
    create_organization_enabled: true,
    create_organizations_limit: null,
    last_active_at: null,
    legal_accepted_at: null,
    bypass_client_trust: false,
  };
}

const serialised = new WeakMap<ClerkUserJSON, string>();

/**
 * A user's JSON text, made once per version of the user: the store replaces a
 * user's object on every change and never edits it, so the object is the key.
 * The state file writes this text, and `GET /v1/users` sends it.
 */
export function userJsonText(user: ClerkUserJSON): string {
  let text = serialised.get(user);
  if (text === undefined) serialised.set(user, (text = JSON.stringify(user)));
  return text;
}
