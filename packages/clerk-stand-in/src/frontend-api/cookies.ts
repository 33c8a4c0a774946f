import type { Context } from "hono";

/** One cookie's value from a `Cookie` header, percent-decoded when it can be. */
export function readCookie(cookieHeader: string | undefined | null, name: string): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(";")) {
    const index = part.indexOf("=");
    if (index < 0 || part.slice(0, index).trim() !== name) continue;
    const raw = part.slice(index + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  }
  return null;
}

// Clerk's values are URL-safe (ids, JWTs, digits), so they go out unencoded, as Clerk sends them.
export function serializeCookie(
  name: string,
  value: string,
  opts: { path: string; httpOnly?: boolean; maxAge?: number },
): string {
  const parts = [`${name}=${value}`, `Path=${opts.path}`, "SameSite=Lax"];
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${opts.maxAge}`);
  if (opts.httpOnly) parts.push("HttpOnly");
  return parts.join("; ");
}

/** One Set-Cookie header per cookie, after any already set on this response. */
export function appendSetCookie(c: Context, cookies: string[]): void {
  for (const cookie of cookies) c.header("Set-Cookie", cookie, { append: true });
}
