import { randomBytes } from "node:crypto";
import { getEnv, type AppEnv } from "~/env.server";

/**
 * The headers every HTML page carries. The Content-Security-Policy follows
 * Clerk's documented needs (https://clerk.com/docs/guides/secure/best-practices/csp-headers):
 * its Frontend API for scripts and requests, img.clerk.com for avatars,
 * blob: workers, inline styles (Clerk styles at run time), Cloudflare's bot
 * check. Remix's own inline scripts carry a per-response nonce instead of
 * 'unsafe-inline'.
 */

export const PRIVATE_PAGE_CACHE_CONTROL = "private, no-store";

const CLOUDFLARE_CHALLENGES = "https://challenges.cloudflare.com";
const CLERK_IMAGES = "https://img.clerk.com";

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null; // a relative CLERK_PROXY_URL is the app's own origin: 'self'
  }
}

const isLoopback = (host: string) => /^(localhost|127(\.\d+){3}|\[::1\])(:\d+)?$/i.test(host);

/** Where the browser talks to Clerk: the Frontend API (from the publishable key), a proxy, and clerk-js. */
export function clerkOrigins(
  env: Pick<AppEnv, "clerk">,
  source: Record<string, string | undefined> = process.env,
): string[] {
  const fapiHost = env.clerk.frontendApiHost.split("/")[0];
  const fapi = isLoopback(fapiHost) ? [`http://${fapiHost}`, `https://${fapiHost}`] : [`https://${fapiHost}`];
  const extra = [originOf(source.CLERK_PROXY_URL), originOf(source.CLERK_JS)].filter((o): o is string => o !== null);
  return [...new Set([...fapi, ...extra])];
}

export function contentSecurityPolicy(nonce: string, clerk: string[], development = false): string {
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`, ...clerk, CLOUDFLARE_CHALLENGES],
    // Remix's dev server reloads the page over a WebSocket.
    "connect-src": ["'self'", ...clerk, ...(development ? ["ws:"] : [])],
    "img-src": ["'self'", "data:", CLERK_IMAGES, ...clerk],
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'", "data:"],
    "worker-src": ["'self'", "blob:"],
    "frame-src": [CLOUDFLARE_CHALLENGES],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(" ")}`)
    .join("; ");
}

/** True when the browser reached us over HTTPS, directly or through a TLS-terminating proxy (ngrok). */
export function cameOverHttps(request: Request): boolean {
  if (new URL(request.url).protocol === "https:") return true;
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  return forwarded === "https";
}

export function applySecurityHeaders(headers: Headers, request: Request, nonce: string, env: AppEnv = getEnv()): void {
  headers.set(
    "Content-Security-Policy",
    contentSecurityPolicy(nonce, clerkOrigins(env), env.nodeEnv === "development"),
  );
  headers.set("X-Frame-Options", "DENY");
  headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  headers.set("X-Content-Type-Options", "nosniff");
  // Each page carries its own nonce and the root loader's per-session Clerk state.
  headers.set("Cache-Control", PRIVATE_PAGE_CACHE_CONTROL);
  // Over plain HTTP the header is meaningless (browsers ignore it), so send it only where it holds.
  if (cameOverHttps(request)) headers.set("Strict-Transport-Security", "max-age=31536000");
}
