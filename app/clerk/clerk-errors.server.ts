import { isClerkAPIResponseError } from "@clerk/remix/errors";

/**
 * The one error a call to Clerk's Backend API fails with, whichever way it was made (the SDK, or the backfill's
 * page reader), classified here and nowhere else: what kind of failure it is, whether asking again can help,
 * how long Clerk asked to wait, and a message a person can act on. Each door says it in its own words from
 * `kind` (Sync's sentences, the profile action's status code); the backfill prints `message`.
 */

export type ClerkErrorKind = "not_found" | "rate_limited" | "unavailable" | "timeout";

export interface ClerkErrorFields {
  kind: ClerkErrorKind;
  /** Clerk's HTTP status; null when no answer came, or one that was not what was asked for. */
  status: number | null;
  /** Asking again can help: a 429 (after `retryAfter`), a 5xx, a timeout, a dropped connection, a malformed answer. */
  retryable: boolean;
  /** Seconds Clerk asked to wait (a 429's Retry-After); null when it did not say. */
  retryAfter: number | null;
  message: string;
  /** The query parameter Clerk's first error names (a rejected `starting_after` cursor). */
  paramName?: string;
}

export class ClerkError extends Error implements ClerkErrorFields {
  override name = "ClerkError";
  readonly kind: ClerkErrorKind;
  readonly status: number | null;
  readonly retryable: boolean;
  readonly retryAfter: number | null;
  readonly paramName?: string;

  constructor(fields: ClerkErrorFields, options?: { cause?: unknown }) {
    super(fields.message, options);
    this.kind = fields.kind;
    this.status = fields.status;
    this.retryable = fields.retryable;
    this.retryAfter = fields.retryAfter;
    this.paramName = fields.paramName;
  }

  /** The same failure, told differently (e.g. with how many attempts were made). */
  withMessage(message: string, change: Partial<Omit<ClerkErrorFields, "message">> = {}): ClerkError {
    const { kind, status, retryable, retryAfter, paramName } = this;
    return new ClerkError(
      { kind, status, retryable, retryAfter, paramName, ...change, message },
      { cause: this.cause },
    );
  }
}

/** One error of Clerk's `{ errors: [...] }` body, with the SDK's casing. */
export interface ClerkErrorEntry {
  code: string;
  message: string;
  longMessage?: string;
  meta?: { paramName?: string };
}

/** A non-2xx answer: its status, Clerk's `errors` and `Retry-After` in whole seconds. */
export function clerkErrorFromAnswer(
  status: number,
  errors: readonly ClerkErrorEntry[],
  retryAfter: number | undefined,
): ClerkError {
  // Clerk's own words (e.g. which key is wrong): worth printing when asking again would not help.
  const said = errors[0]?.longMessage ?? errors[0]?.message;
  const detail = said ? ` ${said}` : "";
  const paramName = errors[0]?.meta?.paramName;
  if (status === 429) {
    return new ClerkError({
      kind: "rate_limited",
      status,
      retryable: true,
      retryAfter: typeof retryAfter === "number" ? retryAfter : null,
      message: "Clerk is rate-limiting requests.",
    });
  }
  if (status === 404) {
    return new ClerkError({
      kind: "not_found",
      status,
      retryable: false,
      retryAfter: null,
      message: `Clerk answered 404 (not found): no such user, or CLERK_API_URL is not Clerk's Backend API.${detail}`,
      paramName,
    });
  }
  if (!status) return clerkUnreachable();
  const retryable = status >= 500;
  const hint = status === 401 || status === 403 ? " Check CLERK_SECRET_KEY (Clerk's dashboard → API keys)." : "";
  return new ClerkError({
    kind: "unavailable",
    status,
    retryable,
    retryAfter: null,
    message: `Clerk answered with an error (HTTP ${status}).${retryable ? "" : detail}${hint}`,
    paramName,
  });
}

/** A 200 that is not what was asked for: perhaps a proxy's fault, so worth asking again. */
export function clerkAnswerMalformed(message: string, options: { retryable?: boolean } = {}): ClerkError {
  return new ClerkError({
    kind: "unavailable",
    status: null,
    retryable: options.retryable ?? true,
    retryAfter: null,
    message,
  });
}

export function clerkTimeout(ms: number): ClerkError {
  return new ClerkError({
    kind: "timeout",
    status: null,
    retryable: true,
    retryAfter: null,
    message: `Clerk did not answer within ${ms / 1000} s.`,
  });
}

function clerkUnreachable(cause?: unknown): ClerkError {
  return new ClerkError(
    { kind: "unavailable", status: null, retryable: true, retryAfter: null, message: "Clerk could not be reached." },
    { cause },
  );
}

/** Any failure of a call to Clerk, as a ClerkError: the SDK's error is read as the same answer would be. */
export function toClerkError(error: unknown): ClerkError {
  if (error instanceof ClerkError) return error;
  if (isClerkAPIResponseError(error)) {
    return clerkErrorFromAnswer(
      error.status,
      error.errors.map((entry) => ({
        code: entry.code,
        message: entry.message,
        longMessage: entry.longMessage,
        meta: { paramName: entry.meta?.paramName },
      })),
      error.retryAfter,
    );
  }
  return clerkUnreachable(error);
}

/**
 * The SDK's reading of an error answer, for the backfill's readers that fetch pages themselves:
 * `errors` camel-cased, `Retry-After` as whole seconds.
 */
export function clerkErrorFromBody(status: number, text: string, retryAfterHeader: string | null): ClerkError {
  let errors: ClerkErrorEntry[] = [];
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      errors = parsed.errors.map((raw: Record<string, unknown>) => {
        const meta = raw.meta as Record<string, unknown> | undefined;
        return {
          code: String(raw.code ?? ""),
          message: String(raw.message ?? ""),
          longMessage: typeof raw.long_message === "string" ? raw.long_message : undefined,
          meta: meta ? { paramName: typeof meta.param_name === "string" ? meta.param_name : undefined } : undefined,
        };
      });
    }
  } catch {
    // Not Clerk's JSON (a proxy's HTML page): the status says enough.
  }
  const retryAfter = Number.parseInt(retryAfterHeader ?? "", 10);
  return clerkErrorFromAnswer(status, errors, Number.isNaN(retryAfter) ? undefined : retryAfter);
}
