import { newTraceId } from "./ids.js";

export interface ClerkErrorMeta {
  param_name?: string;
  [key: string]: unknown;
}

/** A failure with Clerk's HTTP status and error code, rendered as Clerk's `{ errors: [...] }` body. */
export class StandInError extends Error {
  readonly status: number;
  readonly code: string;
  readonly longMessage: string;
  readonly meta: ClerkErrorMeta;

  constructor(status: number, code: string, message: string, longMessage?: string, meta?: ClerkErrorMeta) {
    super(message);
    this.name = "StandInError";
    this.status = status;
    this.code = code;
    this.longMessage = longMessage ?? message;
    this.meta = meta ?? {};
  }

  toClerkBody() {
    return clerkErrorBody(this.code, this.message, this.longMessage, this.meta);
  }
}

export function clerkErrorBody(code: string, message: string, longMessage: string, meta: ClerkErrorMeta = {}) {
  return {
    errors: [{ code, message, long_message: longMessage, meta }],
    clerk_trace_id: newTraceId(),
  };
}

export const notFound = (what = "Resource") =>
  new StandInError(404, "resource_not_found", "not found", `${what} not found`);

export const malformedJson = () =>
  new StandInError(
    400,
    "malformed_request",
    "Request body is not valid JSON",
    "The request body could not be parsed as JSON.",
  );
export const paramFormatInvalid = (param: string, longMessage: string) =>
  new StandInError(422, "form_param_format_invalid", "is invalid", longMessage, { param_name: param });

export const paramValueInvalid = (param: string, longMessage: string) =>
  new StandInError(422, "form_param_value_invalid", "is invalid", longMessage, { param_name: param });

export const paramUnknown = (param: string) =>
  new StandInError(422, "form_param_unknown", "is unknown", `${param} is not a valid parameter for this request.`, {
    param_name: param,
  });

export const identifierExists = (param: "email_address" | "username" | "external_id" | "slug") => {
  const label = param === "email_address" ? "email address" : param === "external_id" ? "external ID" : param;
  const message = `That ${label} is taken. Please try another.`;
  return new StandInError(422, "form_identifier_exists", message, message, { param_name: param });
};

export const paramMissing = (param: string) =>
  new StandInError(422, "form_param_missing", "is missing", `${param} must be included.`, { param_name: param });
