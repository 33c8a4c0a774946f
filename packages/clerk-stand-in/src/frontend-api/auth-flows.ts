import { StandInError } from "../errors.js";
import {
  EMAIL_VERIFICATION_CODE,
  verificationJson,
  type EmailVerificationMode,
  type VerificationState,
} from "./resources.js";
import { newId } from "../ids.js";
import type { Logger } from "../logger.js";
import type { ClientRecord, SessionManager, SessionRecord } from "./sessions.js";
import type { ChangeContext, ClerkUserJSON, UserStore } from "../store/store.js";

/**
 * Sign-in and sign-up attempts, the two flows Clerk's `<SignIn/>` and
 * `<SignUp/>` drive. Each attempt belongs to one client; a completed attempt
 * creates a session through the SessionManager, and a completed sign-up
 * creates the user through `store.create`, so the core's deliveries send
 * `user.created` exactly as for any other new user.
 */

type Json = Record<string, unknown>;
type Params = Record<string, string>;

/** Attempts are abandoned after 24 h in Clerk. */
const ATTEMPT_ABANDON_MS = 24 * 60 * 60 * 1000;
const CODE_LIFETIME_MS = 10 * 60 * 1000;

interface SignInAttempt {
  id: string;
  clientId: string;
  status: "needs_identifier" | "needs_first_factor" | "complete";
  identifier: string | null;
  userId: string | null;
  firstFactor: VerificationState | null;
  createdSessionId: string | null;
  createdAt: number;
  abandonAt: number;
}

interface SignUpAttempt {
  id: string;
  clientId: string;
  status: "missing_requirements" | "complete";
  emailAddress: string | null;
  /** Held in memory only until the user is created. */
  password: string | null;
  firstName: string | null;
  lastName: string | null;
  unsafeMetadata: Json;
  emailVerification: VerificationState | null;
  createdUserId: string | null;
  createdSessionId: string | null;
  createdAt: number;
  abandonAt: number;
}

export interface AuthFlowOptions {
  store: UserStore;
  sessions: SessionManager;
  emailVerification: EmailVerificationMode;
  logger: Logger;
}

/** Who is asking: the app origin becomes the session's `azp`; the rest goes to the webhook's event attributes. */
export interface RequestOrigin {
  authorizedParty: string | null;
  change: ChangeContext;
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function formError(code: string, message: string, longMessage: string, param: string): StandInError {
  return new StandInError(422, code, message, longMessage, { param_name: param });
}

const identifierNotFound = () =>
  formError("form_identifier_not_found", "Couldn't find your account.", "Couldn't find your account.", "identifier");
const passwordIncorrect = () =>
  formError(
    "form_password_incorrect",
    "Password is incorrect. Try again, or use another method.",
    "Password is incorrect. Try again, or use another method.",
    "password",
  );
const codeIncorrect = () => formError("form_code_incorrect", "Incorrect code", "Incorrect code", "code");

export class AuthFlows {
  private readonly signIns = new Map<string, SignInAttempt>();
  private readonly signUps = new Map<string, SignUpAttempt>();

  constructor(private readonly options: AuthFlowOptions) {}

  reset(): void {
    this.signIns.clear();
    this.signUps.clear();
  }

  // --- sign-in ----------------------------------------------------------------

  currentSignIn(client: ClientRecord): Json | null {
    const attempt = client.signInId ? this.signIns.get(client.signInId) : undefined;
    return attempt ? this.signInJson(attempt) : null;
  }

  getSignIn(client: ClientRecord, id: string): Json {
    return this.signInJson(this.requireSignIn(client, id));
  }

  /** `POST /v1/client/sign_ins`: identifier first; a password in the same request completes at once. */
  createSignIn(client: ClientRecord, params: Params, origin: RequestOrigin): Json {
    const now = Date.now();
    const attempt: SignInAttempt = {
      id: newId("sia"),
      clientId: client.id,
      status: "needs_identifier",
      identifier: null,
      userId: null,
      firstFactor: null,
      createdSessionId: null,
      createdAt: now,
      abandonAt: now + ATTEMPT_ABANDON_MS,
    };
    const identifier = params.identifier?.trim();
    if (params.strategy && params.strategy !== "password") {
      throw formError(
        "strategy_for_user_invalid",
        "is invalid",
        `The strategy ${params.strategy} is not enabled.`,
        "strategy",
      );
    }
    if (identifier) {
      const user = this.options.store.findByIdentifier(identifier);
      if (!user) throw identifierNotFound();
      attempt.identifier = identifier;
      attempt.userId = user.id;
      attempt.status = "needs_first_factor";
    }
    this.signIns.set(attempt.id, attempt);
    client.signInId = attempt.id;
    if (attempt.status === "needs_first_factor" && params.password) {
      return this.attemptPassword(client, attempt, params.password, origin);
    }
    return this.signInJson(attempt);
  }

  /** `POST /v1/client/sign_ins/:id/attempt_first_factor` with `strategy=password`. */
  attemptFirstFactor(client: ClientRecord, id: string, params: Params, origin: RequestOrigin): Json {
    const attempt = this.requireSignIn(client, id);
    if (params.strategy !== "password") {
      throw formError(
        "strategy_for_user_invalid",
        "is invalid",
        `The stand-in supports only the password strategy, not ${params.strategy ?? "(none)"}.`,
        "strategy",
      );
    }
    if (attempt.status !== "needs_first_factor") {
      throw new StandInError(
        400,
        "sign_in_not_in_first_factor",
        "Invalid action",
        "This sign-in is not awaiting a first factor.",
      );
    }
    return this.attemptPassword(client, attempt, params.password ?? "", origin);
  }

  private attemptPassword(client: ClientRecord, attempt: SignInAttempt, password: string, origin: RequestOrigin): Json {
    const verification: VerificationState = attempt.firstFactor ?? {
      status: "unverified",
      strategy: "password",
      attempts: 0,
      expireAt: null,
    };
    verification.attempts += 1;
    attempt.firstFactor = verification;
    if (!attempt.userId || !this.options.store.verifyPassword(attempt.userId, password)) {
      verification.status = "failed";
      throw passwordIncorrect();
    }
    verification.status = "verified";
    const session = this.options.sessions.createSession(client, attempt.userId, origin.authorizedParty);
    this.options.store.recordSignIn(attempt.userId, session.createdAt);
    attempt.status = "complete";
    attempt.createdSessionId = session.id;
    // Clerk clears the client's sign-in once it completed; the response still carries it.
    client.signInId = null;
    return this.signInJson(attempt);
  }

  private requireSignIn(client: ClientRecord, id: string): SignInAttempt {
    const attempt = this.signIns.get(id);
    if (!attempt || attempt.clientId !== client.id) {
      throw new StandInError(404, "resource_not_found", "not found", `No sign-in ${id} on this client.`);
    }
    return attempt;
  }

  private signInJson(attempt: SignInAttempt): Json {
    const user = attempt.userId ? this.options.store.get(attempt.userId) : undefined;
    return {
      object: "sign_in",
      id: attempt.id,
      status: attempt.status,
      supported_identifiers: ["email_address"],
      identifier: attempt.identifier,
      user_data: user ? userData(user) : null,
      supported_first_factors: attempt.userId ? [{ strategy: "password" }] : [],
      supported_second_factors: [],
      first_factor_verification: verificationJson(attempt.firstFactor),
      second_factor_verification: null,
      created_session_id: attempt.createdSessionId,
      client_trust_state: "known",
      abandon_at: attempt.abandonAt,
      created_at: attempt.createdAt,
    };
  }

  // --- sign-up ----------------------------------------------------------------

  currentSignUp(client: ClientRecord): Json | null {
    const attempt = client.signUpId ? this.signUps.get(client.signUpId) : undefined;
    return attempt ? this.signUpJson(attempt) : null;
  }

  getSignUp(client: ClientRecord, id: string): Json {
    return this.signUpJson(this.requireSignUp(client, id));
  }

  /** `POST /v1/client/sign_ups`. */
  createSignUp(client: ClientRecord, params: Params, origin: RequestOrigin): Json {
    const now = Date.now();
    const attempt: SignUpAttempt = {
      id: newId("sua"),
      clientId: client.id,
      status: "missing_requirements",
      emailAddress: null,
      password: null,
      firstName: null,
      lastName: null,
      unsafeMetadata: {},
      emailVerification: null,
      createdUserId: null,
      createdSessionId: null,
      createdAt: now,
      abandonAt: now + ATTEMPT_ABANDON_MS,
    };
    this.applySignUpParams(attempt, params);
    this.signUps.set(attempt.id, attempt);
    client.signUpId = attempt.id;
    this.completeIfReady(client, attempt, origin);
    return this.signUpJson(attempt);
  }

  /** `PATCH /v1/client/sign_ups/:id`: the "missing requirements" step adds fields. */
  updateSignUp(client: ClientRecord, id: string, params: Params, origin: RequestOrigin): Json {
    const attempt = this.requireOpenSignUp(client, id);
    this.applySignUpParams(attempt, params);
    this.completeIfReady(client, attempt, origin);
    return this.signUpJson(attempt);
  }

  /** `POST /v1/client/sign_ups/:id/prepare_verification`: "sends" the code; the stand-in's code is always 424242. */
  prepareVerification(client: ClientRecord, id: string, params: Params): Json {
    const attempt = this.requireOpenSignUp(client, id);
    if (params.strategy !== "email_code") {
      throw formError("verification_strategy_invalid", "is invalid", "Only email_code is supported.", "strategy");
    }
    if (!attempt.emailAddress) {
      throw formError("form_param_missing", "is missing", "Enter an email address first.", "email_address");
    }
    attempt.emailVerification = {
      status: "unverified",
      strategy: "email_code",
      attempts: 0,
      expireAt: Date.now() + CODE_LIFETIME_MS,
    };
    // The code is the same for everyone (the README says so); the address is personal data and stays out of the log.
    this.options.logger.info(`email verification code: ${EMAIL_VERIFICATION_CODE}`);
    return this.signUpJson(attempt);
  }

  /** `POST /v1/client/sign_ups/:id/attempt_verification` with `code`. */
  attemptVerification(client: ClientRecord, id: string, params: Params, origin: RequestOrigin): Json {
    const attempt = this.requireOpenSignUp(client, id);
    const verification = attempt.emailVerification;
    if (!verification || verification.strategy !== "email_code") {
      throw new StandInError(400, "verification_not_sent", "not sent", "Prepare the verification first.");
    }
    verification.attempts += 1;
    if ((params.code ?? "").trim() !== EMAIL_VERIFICATION_CODE) throw codeIncorrect();
    verification.status = "verified";
    this.completeIfReady(client, attempt, origin);
    return this.signUpJson(attempt);
  }

  private applySignUpParams(attempt: SignUpAttempt, params: Params): void {
    if (params.email_address !== undefined) {
      const email = params.email_address.trim().toLowerCase();
      if (!EMAIL_PATTERN.test(email)) {
        throw formError(
          "form_param_format_invalid",
          "is invalid",
          "email_address must be a valid email address.",
          "email_address",
        );
      }
      if (this.options.store.findByIdentifier(email)) {
        const message = "That email address is taken. Please try another.";
        throw formError("form_identifier_exists", message, message, "email_address");
      }
      if (email !== attempt.emailAddress) attempt.emailVerification = null;
      attempt.emailAddress = email;
    }
    if (params.password !== undefined) {
      if (params.password.length < 8) {
        const message = "Passwords must be 8 characters or more.";
        throw formError("form_password_length_too_short", message, message, "password");
      }
      attempt.password = params.password;
    }
    if (params.first_name !== undefined) attempt.firstName = params.first_name.trim() || null;
    if (params.last_name !== undefined) attempt.lastName = params.last_name.trim() || null;
    if (params.unsafe_metadata) {
      try {
        attempt.unsafeMetadata = JSON.parse(params.unsafe_metadata) as Json;
      } catch {
        throw formError("form_param_format_invalid", "is invalid", "unsafe_metadata must be JSON.", "unsafe_metadata");
      }
    }
  }

  private missingFields(attempt: SignUpAttempt): string[] {
    const missing: string[] = [];
    if (!attempt.emailAddress) missing.push("email_address");
    if (!attempt.password && attempt.status !== "complete") missing.push("password");
    return missing;
  }

  private unverifiedFields(attempt: SignUpAttempt): string[] {
    if (this.options.emailVerification === "off" || !attempt.emailAddress) return [];
    return attempt.emailVerification?.status === "verified" ? [] : ["email_address"];
  }

  private completeIfReady(client: ClientRecord, attempt: SignUpAttempt, origin: RequestOrigin): void {
    if (attempt.status === "complete") return;
    if (this.missingFields(attempt).length > 0 || this.unverifiedFields(attempt).length > 0) return;
    const user = this.options.store.create(
      {
        email_address: [attempt.emailAddress!],
        password: attempt.password!,
        first_name: attempt.firstName,
        last_name: attempt.lastName,
        unsafe_metadata: attempt.unsafeMetadata,
        email_verification_strategy: this.options.emailVerification === "email_code" ? "email_code" : "admin",
      },
      { ...origin.change, source: "fapi" },
    );
    const session: SessionRecord = this.options.sessions.createSession(client, user.id, origin.authorizedParty);
    attempt.status = "complete";
    attempt.password = null;
    attempt.createdUserId = user.id;
    attempt.createdSessionId = session.id;
    client.signUpId = null;
  }

  private requireSignUp(client: ClientRecord, id: string): SignUpAttempt {
    const attempt = this.signUps.get(id);
    if (!attempt || attempt.clientId !== client.id) {
      throw new StandInError(404, "resource_not_found", "not found", `No sign-up ${id} on this client.`);
    }
    return attempt;
  }

  private requireOpenSignUp(client: ClientRecord, id: string): SignUpAttempt {
    const attempt = this.requireSignUp(client, id);
    if (attempt.status === "complete") {
      throw new StandInError(400, "sign_up_already_complete", "already complete", "This sign-up is already complete.");
    }
    return attempt;
  }

  private signUpJson(attempt: SignUpAttempt): Json {
    const verifyEmail = this.options.emailVerification === "email_code";
    const emailVerification = verifyEmail
      ? attempt.emailVerification
        ? verificationJson(attempt.emailVerification, {
            next_action: attempt.emailVerification.status === "verified" ? "" : "needs_attempt",
            supported_strategies: ["email_code"],
          })
        : attempt.emailAddress
          ? {
              object: "verification",
              status: "unverified",
              strategy: null,
              attempts: null,
              expire_at: null,
              error: null,
              next_action: "needs_prepare",
              supported_strategies: ["email_code"],
            }
          : null
      : null;
    return {
      object: "sign_up",
      id: attempt.id,
      status: attempt.status,
      required_fields: ["email_address", "password"],
      optional_fields: ["first_name", "last_name"],
      missing_fields: this.missingFields(attempt),
      unverified_fields: this.unverifiedFields(attempt),
      verifications: {
        email_address: emailVerification,
        phone_number: null,
        web3_wallet: null,
        external_account: null,
      },
      username: null,
      email_address: attempt.emailAddress,
      phone_number: null,
      web3_wallet: null,
      first_name: attempt.firstName,
      last_name: attempt.lastName,
      has_password: attempt.password !== null || attempt.status === "complete",
      unsafe_metadata: attempt.unsafeMetadata,
      public_metadata: {},
      custom_action: false,
      external_id: null,
      external_account_strategy: null,
      external_account: null,
      created_session_id: attempt.createdSessionId,
      created_user_id: attempt.createdUserId,
      abandon_at: attempt.abandonAt,
      legal_accepted_at: null,
      locale: null,
    };
  }
}

function userData(user: ClerkUserJSON): Json {
  return {
    first_name: user.first_name,
    last_name: user.last_name,
    image_url: user.image_url,
    has_image: user.has_image,
  };
}
