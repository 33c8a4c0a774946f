import { ClerkLoading, SignIn } from "@clerk/remix";
import { useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "~/root";
import { OFFLINE_DEMO_USER } from "~/offline-demo";

export default function SignInPage() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  return (
    <section className="auth-page" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" className="visually-hidden">
        Sign in
      </h1>
      {root?.offlineMode ? (
        // A note, not an <aside>: a complementary landmark may not sit inside <main>.
        <div className="card hint" role="note" aria-label="Demo account">
          <p>
            Offline demo account: <code>{OFFLINE_DEMO_USER.email}</code> with password{" "}
            <code>{OFFLINE_DEMO_USER.password}</code>
          </p>
        </div>
      ) : null}
      {/* Holds the form's place until clerk-js has drawn it: no blank area, no jump. */}
      <ClerkLoading>
        <div className="auth-placeholder sign-in" data-testid="auth-placeholder">
          <p>Loading the sign-in form…</p>
        </div>
      </ClerkLoading>
      <SignIn path="/sign-in" routing="path" signUpUrl="/sign-up" fallbackRedirectUrl="/profile" />
    </section>
  );
}
