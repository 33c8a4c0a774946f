import { action, loader } from "~/routes/orgs.$slug";
import { APP_ORIGIN } from "./profile-action";

/**
 * Posts a form to an organization page's action the way Remix calls it, from the app's own origin unless
 * `headers` say otherwise. A thrown Response (the 404 for anyone but a member) is returned, as Remix would
 * answer it. Who is signed in is the test's `~/auth.server` mock.
 */
export async function postToOrganization(
  slug: string,
  form: Record<string, string> = { intent: "sync-organization" },
  headers: Record<string, string> = { origin: APP_ORIGIN },
): Promise<Response> {
  const request = new Request(`${APP_ORIGIN}/orgs/${encodeURIComponent(slug)}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form),
  });
  try {
    return (await action({ request, params: { slug }, context: {} })) as Response;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** The page's data as its loader gives it after an action (Remix revalidates), or the Response it threw. */
export async function loadOrganization(slug: string): Promise<any> {
  const request = new Request(`${APP_ORIGIN}/orgs/${encodeURIComponent(slug)}`);
  try {
    return await ((await loader({ request, params: { slug }, context: {} })) as Response).json();
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}
