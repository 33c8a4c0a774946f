import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A page that stands in for the app in the browser test: plain HTML that
 * loads clerk-js from the stand-in (as the Remix app does through `CLERK_JS`
 * and `CLERK_PROXY_URL`) and mounts Clerk's own components.
 *
 *   /sign-in  → Clerk.mountSignIn    /sign-up → Clerk.mountSignUp
 *   /user     → Clerk.mountUserButton, plus the signed-in state as JSON
 *   /orgs     → Clerk.mountOrganizationSwitcher   /create-org → Clerk.mountCreateOrganization
 *   /org-profile → Clerk.mountOrganizationProfile (of the active organization)
 *
 * Served on loopback and reached as `localhost`, like the stand-in, because
 * `__client_uat` only crosses ports under the same host name.
 */

export interface ClerkTestPage {
  origin: string;
  close(): Promise<void>;
}

function pageHtml(opts: { publishableKey: string; proxyUrl: string; clerkJsUrl: string }): string {
  const config = JSON.stringify(opts).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>clerk-js against the stand-in</title></head>
<body>
  <main>
    <pre id="clerk-state" data-loaded="false">loading</pre>
    <div id="user-button"></div>
    <div id="clerk-component"></div>
  </main>
  <script>
    const config = ${config};
    function showState() {
      const state = document.getElementById("clerk-state");
      state.textContent = JSON.stringify({
        userId: window.Clerk.user ? window.Clerk.user.id : null,
        sessionId: window.Clerk.session ? window.Clerk.session.id : null,
        email: window.Clerk.user ? window.Clerk.user.primaryEmailAddress.emailAddress : null,
        organizationId: window.Clerk.organization ? window.Clerk.organization.id : null,
      });
      state.dataset.loaded = "true";
    }
    async function start() {
      await window.Clerk.load({
        signInUrl: "/sign-in",
        signUpUrl: "/sign-up",
        signInFallbackRedirectUrl: "/user",
        signUpFallbackRedirectUrl: "/user",
        afterSignOutUrl: "/user",
        telemetry: false,
      });
      window.Clerk.addListener(showState);
      showState();
      const target = document.getElementById("clerk-component");
      const path = window.location.pathname;
      if (path === "/sign-in") window.Clerk.mountSignIn(target, { routing: "virtual" });
      if (path === "/sign-up") window.Clerk.mountSignUp(target, { routing: "virtual" });
      if (path === "/user") window.Clerk.mountUserButton(document.getElementById("user-button"), { afterSignOutUrl: "/user" });
      if (path === "/orgs") window.Clerk.mountOrganizationSwitcher(target, { hidePersonal: false, createOrganizationMode: "navigation", createOrganizationUrl: "/create-org", afterSelectOrganizationUrl: "/orgs", afterSelectPersonalUrl: "/orgs" });
      if (path === "/create-org") window.Clerk.mountCreateOrganization(target, { routing: "virtual", afterCreateOrganizationUrl: "/orgs" });
      if (path === "/org-profile") window.Clerk.mountOrganizationProfile(target, { routing: "virtual" });
    }
    const script = document.createElement("script");
    script.src = config.clerkJsUrl;
    script.async = true;
    script.crossOrigin = "anonymous";
    script.setAttribute("data-clerk-publishable-key", config.publishableKey);
    script.setAttribute("data-clerk-proxy-url", config.proxyUrl);
    script.addEventListener("load", () => start().catch((error) => {
      document.getElementById("clerk-state").textContent = "clerk failed: " + error;
    }));
    document.head.appendChild(script);
  </script>
</body>
</html>`;
}

export async function startClerkTestPage(opts: {
  publishableKey: string;
  proxyUrl: string;
  clerkJsUrl: string;
}): Promise<ClerkTestPage> {
  const html = pageHtml(opts);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
