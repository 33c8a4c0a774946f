// `remix dev` sets NODE_ENV=development before it reads this file, `remix build` production.
const development = process.env.NODE_ENV === "development";

/** @type {import('@remix-run/dev').AppConfig} */
export default {
  ignoredRouteFiles: ["**/.*", "**/*.test.{ts,tsx}"],
  serverModuleFormat: "esm",
  // Nothing bundled: @clerk/backend finds its runtime through package.json
  // `imports` (#crypto), which only resolve when Node loads it from node_modules
  // (docs/decisions/001). List an ESM-only package here by name, never a pattern.
  serverDependenciesToBundle: [],
  // The development build has folders of its own, so `npm run dev` never overwrites the production
  // build that `npm start` serves (build/ and public/build/).
  ...(development ? { serverBuildPath: ".cache/dev/index.js", assetsBuildDirectory: ".cache/dev/assets" } : {}),
  future: {
    v3_fetcherPersist: true,
    v3_relativeSplatPath: true,
    v3_throwAbortReason: true,
    v3_lazyRouteDiscovery: true,
    // Adopted once the e2e suite passed with it (docs/decisions/001): no future-flag notice at build.
    v3_singleFetch: true,
  },
};
