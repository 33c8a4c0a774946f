import {
  ClerkApp,
  ClerkLoading,
  ClerkProvider,
  OrganizationSwitcher,
  SignedIn,
  SignedOut,
  UserButton,
} from "@clerk/remix";
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
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { clerkAuthOptions } from "~/auth.server";
import { requireCanonicalOrigin } from "~/canonical-origin.server";
import { NotFound } from "~/components/not-found";
import { getEnv } from "~/env.server";
import { useNonce } from "~/nonce";
import stylesheet from "~/styles.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = ({ error }) => [
  {
    title: !error
      ? "clerk-sync"
      : isNotFound(error)
        ? "Page not found · clerk-sync"
        : "Something went wrong · clerk-sync",
  },
  { name: "description", content: "Your Clerk profile, kept in step with the app's own database." },
];

export const loader = (args: LoaderFunctionArgs) => {
  requireCanonicalOrigin(args.request);
  return rootAuthLoader(args, () => ({ offlineMode: getEnv().offlineMode }), clerkAuthOptions(args.request));
};

type RootData = { offlineMode?: boolean; clerkState?: unknown } | undefined;

/**
 * The document around every page, the error pages included (Remix renders
 * `Layout` around both the app and the ErrorBoundary). The root loader's data
 * is missing only when the root loader itself failed.
 */
export function Layout({ children }: { children: ReactNode }) {
  const root = useRouteLoaderData("root") as RootData;
  // The Content-Security-Policy allows inline scripts only with this response's nonce.
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <div className="app">
          {root?.offlineMode ? (
            <aside className="offline-banner" aria-label="Offline mode">
              <p>
                <strong>Offline mode — local Clerk stand-in.</strong> Sign-ins, users and webhooks are simulated on this
                machine; nothing reaches Clerk.
              </p>
            </aside>
          ) : null}
          {children}
        </div>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function SiteHeader({ withAccount }: { withAccount: boolean }) {
  return (
    <header className="site-header">
      <Link to="/" className="brand">
        clerk-sync
      </Link>
      <nav aria-label="Account" className="site-nav">
        {withAccount ? (
          <>
            <SignedIn>
              <Link to="/profile" className="nav-link">
                Profile
              </Link>
              {/* clerk-js draws these once it has loaded; hold their place so the header does not jump. */}
              <ClerkLoading>
                <span className="org-switcher-placeholder" aria-hidden="true" />
                <span className="user-button-placeholder" aria-hidden="true" />
              </ClerkLoading>
              {/* The profile lists the organizations, so each change to them lands there; its "Create
                  organization" opens Clerk's <CreateOrganization/>. */}
              <OrganizationSwitcher
                afterCreateOrganizationUrl="/profile"
                afterSelectOrganizationUrl="/profile"
                afterSelectPersonalUrl="/profile"
                afterLeaveOrganizationUrl="/profile"
              />
              <UserButton afterSignOutUrl="/" />
            </SignedIn>
            <SignedOut>
              <Link to="/sign-in" className="nav-link">
                Sign in
              </Link>
            </SignedOut>
          </>
        ) : (
          <a href="/sign-in" className="nav-link">
            Sign in
          </a>
        )}
      </nav>
    </header>
  );
}

function App() {
  return (
    <>
      <SiteHeader withAccount />
      <main className="page">
        <Outlet />
      </main>
    </>
  );
}

export default ClerkApp(App);

function isNotFound(error: unknown) {
  return isRouteErrorResponse(error) && error.status === 404;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const root = useRouteLoaderData("root") as RootData;
  const page = (
    <main className="page">
      {isNotFound(error) ? (
        <NotFound />
      ) : (
        <section className="card" aria-labelledby="error-title">
          <h1 id="error-title">Something went wrong</h1>
          <p>
            The page could not be shown. Try again in a moment; if it keeps happening, the server log has the details.
          </p>
          <p>
            <a href="/">Back to the start page</a>
          </p>
        </section>
      )}
    </main>
  );
  // With the root loader's Clerk state the header keeps the account menu; without it (the root loader
  // itself failed) the header still offers the way in.
  if (!root?.clerkState) {
    return (
      <>
        <SiteHeader withAccount={false} />
        {page}
      </>
    );
  }
  return (
    <ClerkProvider clerkState={root.clerkState as never}>
      <SiteHeader withAccount />
      {page}
    </ClerkProvider>
  );
}
