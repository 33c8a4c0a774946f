import { ClerkApp, SignedIn, SignedOut, UserButton } from "@clerk/remix";
import { rootAuthLoader } from "@clerk/remix/ssr.server";
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useRouteError,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { getEnv } from "~/env.server";
import stylesheet from "~/styles.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [
  { title: "clerk-sync" },
  { name: "description", content: "Your Clerk profile, kept in step with the app's own database." },
];

export const loader = (args: LoaderFunctionArgs) =>
  rootAuthLoader(args, () => ({ offlineMode: getEnv().offlineMode }));

function Document({ children, offlineMode = false }: { children: ReactNode; offlineMode?: boolean }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {offlineMode ? (
          <p className="offline-banner" role="status">
            <strong>Offline mode — local Clerk stand-in.</strong> Sign-ins, users and webhooks are simulated on this
            machine; nothing reaches Clerk.
          </p>
        ) : null}
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

function App() {
  const { offlineMode } = useLoaderData<typeof loader>();
  return (
    <Document offlineMode={offlineMode}>
      <header className="site-header">
        <Link to="/" className="brand">
          clerk-sync
        </Link>
        <nav aria-label="Account">
          <SignedIn>
            <Link to="/profile">Profile</Link>
            <UserButton afterSignOutUrl="/" />
          </SignedIn>
          <SignedOut>
            <Link to="/sign-in">Sign in</Link>
          </SignedOut>
        </nav>
      </header>
      <main className="page">
        <Outlet />
      </main>
    </Document>
  );
}

export default ClerkApp(App);

export function ErrorBoundary() {
  const error = useRouteError();
  const notFound = isRouteErrorResponse(error) && error.status === 404;
  return (
    <Document>
      <main className="page">
        <section className="card" role="alert">
          <h1>{notFound ? "Page not found" : "Something went wrong"}</h1>
          <p>
            {notFound
              ? "There is nothing at this address."
              : "The page could not be shown. Try again in a moment; if it keeps happening, the server log has the details."}
          </p>
          <p>
            <a href="/">Back to the start page</a>
          </p>
        </section>
      </main>
    </Document>
  );
}
