import { SignedIn, SignedOut } from "@clerk/remix";
import { Link } from "@remix-run/react";

export default function Index() {
  return (
    <section className="card hero">
      <h1>Your Clerk profile, kept in step</h1>
      <p>
        clerk-sync signs you in with Clerk and keeps its own copy of your profile in SQLite. Clerk tells it about every
        change through signed webhooks; if one is ever missed, <em>Sync User Data</em> pulls your profile straight from
        Clerk.
      </p>
      <SignedIn>
        <p>
          <Link className="button" to="/profile">
            View your profile
          </Link>
        </p>
      </SignedIn>
      <SignedOut>
        <p className="actions">
          <Link className="button" to="/sign-in">
            Sign in
          </Link>
          <Link className="button secondary" to="/sign-up">
            Sign up
          </Link>
        </p>
      </SignedOut>
    </section>
  );
}
