/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  // Nothing bundled: @clerk/backend finds its runtime through package.json
  // `imports` (#crypto), which only resolve when Node loads it from node_modules
  // (docs/decisions/001). List an ESM-only package here by name, never a pattern.
  serverDependenciesToBundle: [],
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    // Adopted once the e2e suite passed with it (docs/decisions/001): no future-flag notice at build.
    v3_singleFetch: true,
  },
};
