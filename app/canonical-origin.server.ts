import { redirect } from "@remix-run/node";
import { getEnv } from "~/env.server";
import { isThisMachine } from "~/loopback.server";
import { forwardedOrigin } from "~/same-origin.server";

/**
 * Offline, the Clerk stand-in answers CORS (and its cookies reach) one app
 * origin, APP_URL (`http://localhost:3000`). A page opened under another name
 * of this machine on the same port (`127.0.0.1:3000`, the address remix-serve
 * prints) would load and then fail every Clerk call: a sign-in form that does
 * nothing. Such a request belongs at APP_URL, path and query kept. Both must be
 * this machine: a proxy that rewrites `Host` to 127.0.0.1 in front of a public
 * APP_URL is not sent anywhere.
 */
export function canonicalUrlFor(request: Request, publicOrigin: string | null): string | null {
  if (!publicOrigin) return null;
  const canonical = new URL(publicOrigin);
  const url = new URL(request.url);
  // The Host header as sent: Remix's Express adapter drops the port of an IPv6 Host ([::1]:3000) from request.url.
  const host = request.headers.get("host");
  const browserOrigin = forwardedOrigin(request) ?? (host ? `${url.protocol}//${host}` : url.origin);
  if (!URL.canParse(browserOrigin)) return null;
  const seen = new URL(browserOrigin);
  const sameMachineOtherName =
    seen.hostname !== canonical.hostname &&
    seen.port === canonical.port &&
    isThisMachine(seen.hostname) &&
    isThisMachine(canonical.hostname);
  return sameMachineOtherName ? `${canonical.origin}${url.pathname}${url.search}` : null;
}

/** Throws the redirect to APP_URL when the request came in under another name of this machine. */
export function requireCanonicalOrigin(request: Request): void {
  const target = canonicalUrlFor(request, getEnv().publicOrigin);
  if (target) throw redirect(target, 302);
}
