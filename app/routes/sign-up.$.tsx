import { ClerkLoading, SignUp } from "@clerk/remix";

export default function SignUpPage() {
  return (
    <section className="auth-page" aria-labelledby="sign-up-title">
      <h1 id="sign-up-title" className="visually-hidden">
        Sign up
      </h1>
      {/* Holds the form's place until clerk-js has drawn it: no blank area, no jump. */}
      <ClerkLoading>
        <div className="auth-placeholder sign-up" data-testid="auth-placeholder">
          <p>Loading the sign-up form…</p>
        </div>
      </ClerkLoading>
      <SignUp path="/sign-up" routing="path" signInUrl="/sign-in" fallbackRedirectUrl="/profile" />
    </section>
  );
}
