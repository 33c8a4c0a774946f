import { action } from "~/routes/profile";

/** The origin the tests' requests name as theirs: the profile action refuses posts from any other. */
export const APP_ORIGIN = "http://localhost:3000";

/**
 * Posts a form to the profile route's action the way Remix calls it, with a real Request from the app's own
 * origin. Who is signed in is the test's `~/auth.server` mock.
 */
export function postToProfile(form: Record<string, string> = { intent: "sync" }): Promise<Response> {
  const request = new Request(`${APP_ORIGIN}/profile`, {
    method: "POST",
    headers: { origin: APP_ORIGIN },
    body: new URLSearchParams(form),
  });
  return action({ request, params: {}, context: {} }) as Promise<Response>;
}
