import { getAuth } from "@clerk/remix/ssr.server";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { getEnv } from "~/env.server";
import { ownOrigins } from "~/same-origin.server";

/**
 * Clerk's options for reading a request's session. A session token names the
 * origin it was made for (`azp`); one made for another site (a sibling
 * subdomain's cookie, another app on the same Clerk instance) is no session
 * here. The app's origins are the same-origin check's: the request's own, the
 * one a tunnel forwarded, and APP_URL.
 */
export function clerkAuthOptions(request: Request): { authorizedParties: string[] } {
  return { authorizedParties: [...ownOrigins(request, getEnv().publicOrigin)] };
}

// getAuth's type names only `secretKey`, yet it hands every option on to Clerk's authenticateRequest as
// rootAuthLoader does; tests/security/refuses-session-tokens-made-for-another-origin.test.ts fails if that stops.
const getAuthWith = getAuth as (
  args: LoaderFunctionArgs | ActionFunctionArgs,
  options: ReturnType<typeof clerkAuthOptions>,
) => ReturnType<typeof getAuth>;

/**
 * The signed-in user's Clerk id, taken from the verified session token; a
 * visitor without a session is sent to sign in and brought back afterwards.
 */
export async function requireUserId(args: LoaderFunctionArgs | ActionFunctionArgs): Promise<string> {
  const { userId } = await getAuthWith(args, clerkAuthOptions(args.request));
  if (!userId) {
    const url = new URL(args.request.url);
    // A data request's own marker would bring the browser back to raw JSON after signing in.
    url.searchParams.delete("_data");
    throw redirect(`/sign-in?redirect_url=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return userId;
}
