import { SignUp } from "@clerk/remix";

export default function SignUpPage() {
  return (
    <section className="auth-page">
      <h1 className="visually-hidden">Sign up</h1>
      <SignUp path="/sign-up" routing="path" signInUrl="/sign-in" fallbackRedirectUrl="/profile" />
    </section>
  );
}
