import { Link } from "@remix-run/react";

/** The one "Page not found" card: for unknown addresses and for a 404 thrown by a route. */
export function NotFound() {
  return (
    <section className="card" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>There is nothing at this address. It may have been mistyped, or the page has moved.</p>
      <p>
        <Link to="/">Back to the start page</Link>
      </p>
    </section>
  );
}
