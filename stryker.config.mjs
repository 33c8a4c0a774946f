// Mutation testing of the modules that hold the app's promises: `npm run test:mutation`.
// Manual, not in CI; what it covers, the latest score and every survivor: docs/testing.md, "Mutation testing".
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: {
    configFile: "tests/vitest.config.ts",
    // Vitest's "related" search misses tests that import a module after vi.mock (`await import(...)`):
    // the first run would skip them, and the mutants only they reach would look untested.
    related: false,
  },
  // Each mutant runs only the tests that reached it in the first, unmutated run.
  coverageAnalysis: "perTest",
  // A "static" mutant changes a module-level value, computed once on import. With `testFiles` set,
  // Stryker 9 activates it only after the imports (so it could never be killed), and each one would
  // need every test file: they are reported as Ignored, and docs/testing.md names them.
  ignoreStatic: true,
  mutate: [
    "app/db/**/*.ts",
    "app/webhook/**/*.ts",
    "app/backfill/**/*.ts",
    "app/sync/**/*.ts",
    "app/same-origin.server.ts",
    "app/security-headers.server.ts",
    "packages/clerk-stand-in/src/guards.ts",
    "packages/clerk-stand-in/src/backend-api/rate-limit.ts",
  ],
  // The fast suite's tests that run this code in their own process. Tests that only reach it through a
  // child process (the built server, `npm run sync:all`, the stand-in's CLI) cannot see a mutant there;
  // the new-column test edits the sources as text, which Stryker has rewritten.
  testFiles: [
    "tests/{webhook,security,sync,backfill}/**/*.test.ts",
    "tests/db/!(a-new-column-needs-only-the-schema-and-the-payload-mapping).test.ts",
    "tests/tools/{backfill,db-backup}-*.test.ts",
    "tests/config/refuses-a-database-it-cannot-open.test.ts",
    "packages/clerk-stand-in/test/{hostile-web-page,frontend-api-takes-writes-from-the-app-only,control-api-and-faults,keys-and-server,backend-api-latency-and-rate-limit}.test.ts",
    "packages/clerk-stand-in/test/{control-routes,loopback-host,frontend-writes,token-bucket}-*.test.ts",
  ],
  // Written by other runs while the sandbox is copied; no test reads them.
  ignorePatterns: ["/test-results", "/data", "/.cache"],
  // The machine has two cores, shared with whoever else is working on it.
  concurrency: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
};
