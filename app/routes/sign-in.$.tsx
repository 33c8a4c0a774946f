import { SignIn } from "@clerk/remix";
import { useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "~/root";
import { OFFLINE_DEMO_USER } from "~/offline-demo";

export default function SignInPage() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  return (
    <section className="auth-page">
      <h1 className="visually-hidden">Sign in</h1>
      {root?.offlineMode ? (
        <aside className="card hint" aria-label="Demo account">
          <p>
            Offline demo account: <code>{OFFLINE_DEMO_USER.email}</code> with password{" "}
            <code>{OFFLINE_DEMO_USER.password}</code>
          </p>
        </aside>
      ) : null}
      <SignIn path="/sign-in" routing="path" signUpUrl="/sign-up" fallbackRedirectUrl="/profile" />
    </section>
  );
}
