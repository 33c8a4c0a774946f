import { readBodyWithLimit } from "~/webhook/verify-webhook.server";
import { getEnv } from "~/env.server";

/**
 * Cross-site request forgery: a page elsewhere (another site, or another port
 * on localhost, which is "same-site" but a foreign origin) can make the
 * signed-in browser post a form here, cookies and all. Browsers always say
 * where a POST comes from (`Origin`), so a state-changing action accepts only
 * its own origin: the one the request names, the one a proxy or tunnel
 * forwarded (ngrok rewrites `Host` and sets X-Forwarded-Host/-Proto), or the
 * configured APP_URL.
 */

// What Remix's <Form> sends. Multipart (file uploads) is not something these actions take.
const FORM_TYPE = "application/x-www-form-urlencoded";
// A sync form is a few bytes; the cap keeps an unauthenticated sender from making us buffer more.
const MAX_FORM_BYTES = 16 * 1024;
const FORM_DEADLINE_MS = 10_000;

export type FormRead =
  { ok: true; form: URLSearchParams } | { ok: false; status: 400 | 403 | 408 | 413; message: string };

/** The origin a proxy or tunnel says the browser used (X-Forwarded-Host/-Proto), or null when none says so. */
export function forwardedOrigin(request: Request): string | null {
  // A forged X-Forwarded-* needs a custom header, which a cross-site page cannot send without CORS.
  const forwardedHost = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  if (!forwardedHost) return null;
  const proto =
    request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || new URL(request.url).protocol.slice(0, -1);
  return `${proto}://${forwardedHost}`.toLowerCase();
}

/** The origins this request may legitimately come from. */
export function ownOrigins(request: Request, publicOrigin: string | null): Set<string> {
  const origins = new Set([new URL(request.url).origin]);
  const forwarded = forwardedOrigin(request);
  if (forwarded) origins.add(forwarded);
  if (publicOrigin) origins.add(publicOrigin);
  return origins;
}

export function isSameOriginPost(request: Request, publicOrigin: string | null = getEnv().publicOrigin): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) {
    // Not a browser (curl, a test): no cookie-carrying forgery to fear, unless the
    // browser says outright that the request crossed sites.
    const site = request.headers.get("sec-fetch-site");
    return site === null || site === "same-origin" || site === "none";
  }
  return ownOrigins(request, publicOrigin).has(origin.toLowerCase());
}

/** The action's form, only from our own origin and only as a form: anything else is answered, not thrown. */
export async function readSameOriginForm(request: Request, publicOrigin?: string | null): Promise<FormRead> {
  if (!isSameOriginPost(request, publicOrigin === undefined ? getEnv().publicOrigin : publicOrigin)) {
    return { ok: false, status: 403, message: "This form can only be sent from this app's own pages." };
  }
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== FORM_TYPE) {
    return { ok: false, status: 400, message: "This action takes a form post (application/x-www-form-urlencoded)." };
  }
  const read = await readBodyWithLimit(request, { limit: MAX_FORM_BYTES, deadlineMs: FORM_DEADLINE_MS });
  if (read.ok) return { ok: true, form: new URLSearchParams(read.body) };
  if (read.reason === "too_large") return { ok: false, status: 413, message: "The form is too large." };
  if (read.reason === "too_slow") return { ok: false, status: 408, message: "The form took too long to arrive." };
  return { ok: false, status: 400, message: "The form could not be read." };
}
