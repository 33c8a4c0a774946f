import type { ClientRecord, SessionRecord } from "./sessions.js";
import type { ClerkUserJSON } from "../store/user-json.js";

/**
 * The Frontend API's JSON resources (fapi 2026-05-12 schemas, as clerk-js 5
 * reads them). Pure functions from the stand-in's state to wire JSON.
 */

type Json = Record<string, unknown>;

export type EmailVerificationMode = "off" | "email_code";

/**
 * Clerk's test-mode code: in a development instance the address
 * `…+clerk_test@…` accepts 424242. The stand-in accepts it for every address
 * because it never sends mail.
 */
export const EMAIL_VERIFICATION_CODE = "424242";

export interface EnvironmentSettings {
  applicationName: string;
  emailVerification: EmailVerificationMode;
  /** Absolute or app-relative URLs the components link to. */
  signInUrl: string;
  signUpUrl: string;
  afterSignInUrl: string;
  afterSignUpUrl: string;
  homeUrl: string;
}

const disabledAttribute = {
  enabled: false,
  required: false,
  verifications: [],
  used_for_first_factor: false,
  first_factors: [],
  used_for_second_factor: false,
  second_factors: [],
  verify_at_sign_up: false,
};

/**
 * A production-type instance with email + password only: no social providers,
 * no captcha, no Protect loaders, no billing, so clerk-js never loads anything
 * from outside the machine. Organizations are on (with slugs, without domains
 * or invitations), so `<OrganizationSwitcher/>` and `<CreateOrganization/>` work.
 */
export function environmentJson(settings: EnvironmentSettings): Json {
  const verifyEmail = settings.emailVerification === "email_code";
  return {
    object: "environment",
    id: "env_stand_in",
    auth_config: {
      object: "auth_config",
      id: "aac_stand_in",
      single_session_mode: true,
      claimed_at: null,
      reverification: false,
    },
    display_config: {
      object: "display_config",
      id: "display_config_stand_in",
      application_name: settings.applicationName,
      after_sign_in_url: settings.afterSignInUrl,
      after_sign_out_all_url: settings.homeUrl,
      after_sign_out_one_url: settings.homeUrl,
      after_sign_up_url: settings.afterSignUpUrl,
      after_switch_session_url: settings.homeUrl,
      branded: false,
      captcha_public_key: null,
      captcha_widget_type: null,
      captcha_public_key_invisible: null,
      captcha_provider: "turnstile",
      captcha_oauth_bypass: [],
      captcha_heartbeat: false,
      home_url: settings.homeUrl,
      instance_environment_type: "production",
      logo_image_url: "",
      favicon_image_url: "",
      preferred_sign_in_strategy: "password",
      sign_in_url: settings.signInUrl,
      sign_up_url: settings.signUpUrl,
      support_email: "",
      theme: {
        buttons: { font_color: "#ffffff", font_family: "", font_weight: "" },
        general: {
          color: "#6c47ff",
          padding: "",
          box_shadow: "",
          font_color: "#151515",
          font_family: "",
          border_radius: "",
          background_color: "#ffffff",
          label_font_weight: "",
        },
        accounts: { background_color: "#ffffff" },
      },
      user_profile_url: "",
      organization_profile_url: "",
      create_organization_url: "",
      after_leave_organization_url: settings.homeUrl,
      after_create_organization_url: settings.homeUrl,
      show_devmode_warning: false,
      terms_url: "",
      privacy_policy_url: "",
      waitlist_url: "",
      after_join_waitlist_url: "",
    },
    user_settings: {
      attributes: {
        email_address: {
          enabled: true,
          required: true,
          verifications: verifyEmail ? ["email_code"] : [],
          used_for_first_factor: true,
          first_factors: [],
          used_for_second_factor: false,
          second_factors: [],
          verify_at_sign_up: verifyEmail,
        },
        phone_number: disabledAttribute,
        username: disabledAttribute,
        web3_wallet: disabledAttribute,
        first_name: { ...disabledAttribute, enabled: true },
        last_name: { ...disabledAttribute, enabled: true },
        password: { ...disabledAttribute, enabled: true, required: true },
        authenticator_app: disabledAttribute,
        backup_code: disabledAttribute,
        passkey: disabledAttribute,
      },
      actions: { delete_self: false, create_organization: true },
      social: {},
      saml: { enabled: false },
      enterprise_sso: { enabled: false },
      sign_in: { second_factor: { required: false, enabled: false } },
      sign_up: {
        allowlist_only: false,
        progressive: true,
        captcha_enabled: false,
        captcha_widget_type: null,
        custom_action_required: false,
        mode: "public",
        legal_consent_enabled: false,
      },
      password_settings: {
        allowed_special_characters: "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~",
        disable_hibp: true,
        min_length: 8,
        max_length: 72,
        require_special_char: false,
        require_numbers: false,
        require_uppercase: false,
        require_lowercase: false,
        show_zxcvbn: false,
        min_zxcvbn_strength: 0,
        enforce_hibp_on_sign_in: false,
      },
      passkey_settings: { allow_autofill: false, show_sign_in_button: false },
      username_settings: { min_length: 4, max_length: 64 },
    },
    organization_settings: {
      enabled: true,
      // 0: no limit, as the stand-in's organizations have none.
      max_allowed_memberships: 0,
      force_organization_selection: false,
      actions: { admin_delete: true },
      domains: { enabled: false, enrollment_modes: [], default_role: null },
      slug: { disabled: false },
      organization_creation_defaults: { enabled: false },
    },
    commerce_settings: {
      object: "commerce_settings",
      id: "commerce_settings_stand_in",
      billing: {
        stripe_publishable_key: null,
        organization: { enabled: false, has_paid_plans: false },
        user: { enabled: false, has_paid_plans: false },
      },
    },
    api_keys_settings: {
      object: "api_keys_settings",
      id: "api_keys_settings_stand_in",
      user_api_keys_enabled: false,
      orgs_api_keys_enabled: false,
    },
    protect_config: { object: "protect_config", id: "protect_config_stand_in", loaders: [], updated_at: 0 },
    maintenance_mode: false,
    client_debug_mode: false,
  };
}

function primaryEmail(user: ClerkUserJSON): string {
  const primary = user.email_addresses.find((e) => e.id === user.primary_email_address_id) ?? user.email_addresses[0];
  return primary?.email_address ?? user.username ?? "";
}

/**
 * The Frontend API's user: the Backend API user minus what only the server may
 * see, with its organization memberships (clerk-js finds the active
 * organization among them).
 */
export function fapiUserJson(user: ClerkUserJSON, organizationMemberships: Json[] = []): Json {
  const { private_metadata: _private, ...visible } = user;
  return {
    ...visible,
    organization_memberships: organizationMemberships,
    email_addresses: user.email_addresses.map((email) => ({
      ...email,
      verification: email.verification && { ...email.verification, error: null, verified_at_client: null },
    })),
  };
}

export function publicUserDataJson(user: ClerkUserJSON): Json {
  return {
    first_name: user.first_name,
    last_name: user.last_name,
    image_url: user.image_url,
    has_image: user.has_image,
    identifier: primaryEmail(user),
    user_id: user.id,
    username: user.username ?? undefined,
  };
}

/** The user's organization memberships and the session's active organization among them, as the Frontend API shows them. */
export interface SessionOrganizations {
  memberships: Json[];
  activeOrganizationId: string | null;
}

export function sessionJson(
  session: SessionRecord,
  user: ClerkUserJSON,
  jwt: string | null,
  organizations: SessionOrganizations = { memberships: [], activeOrganizationId: null },
): Json {
  return {
    object: "session",
    id: session.id,
    status: session.status,
    expire_at: session.expireAt,
    abandon_at: session.abandonAt,
    last_active_at: session.lastActiveAt,
    last_active_organization_id: organizations.activeOrganizationId,
    last_active_token: jwt ? { object: "token", jwt } : null,
    actor: null,
    tasks: null,
    factor_verification_age: [Math.floor((session.lastActiveAt - session.createdAt) / 60_000), -1],
    user: fapiUserJson(user, organizations.memberships),
    public_user_data: publicUserDataJson(user),
    created_at: session.createdAt,
    updated_at: session.updatedAt,
  };
}

export function tokenJson(jwt: string): Json {
  return { object: "token", jwt };
}

export function clientJson(
  client: ClientRecord,
  parts: { sessions: Json[]; signIn: Json | null; signUp: Json | null },
): Json {
  return {
    object: "client",
    id: client.id,
    sessions: parts.sessions,
    sign_in: parts.signIn,
    sign_up: parts.signUp,
    last_active_session_id: client.lastActiveSessionId,
    last_authentication_strategy: null,
    captcha_bypass: false,
    cookie_expires_at: null,
    created_at: client.createdAt,
    updated_at: client.updatedAt,
  };
}

export interface VerificationState {
  status: "unverified" | "verified" | "failed" | "expired";
  strategy: string;
  attempts: number;
  expireAt: number | null;
}

export function verificationJson(v: VerificationState | null, extra: Json = {}): Json | null {
  if (!v) return null;
  return {
    object: "verification",
    status: v.status,
    strategy: v.strategy,
    attempts: v.attempts,
    expire_at: v.expireAt,
    error: null,
    verified_at_client: null,
    ...extra,
  };
}
