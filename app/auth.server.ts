import { getAuth } from "@clerk/remix/ssr.server";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";

/**
 * The signed-in user's Clerk id, taken from the verified session token; a
 * visitor without a session is sent to sign in and brought back afterwards.
 */
export async function requireUserId(args: LoaderFunctionArgs | ActionFunctionArgs): Promise<string> {
  const { userId } = await getAuth(args);
  if (!userId) {
    const url = new URL(args.request.url);
    throw redirect(`/sign-in?redirect_url=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return userId;
}
