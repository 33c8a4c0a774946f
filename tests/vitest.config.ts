import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root,
  resolve: { alias: { "~": `${root}app` } },
  test: {
    include: ["tests/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    exclude: ["tests/e2e/**", "tests/reliability/**", "node_modules/**"],
    setupFiles: ["tests/support/test-env.ts"],
    pool: "forks",
    // Integration tests start real servers and SQLite files; a slow shared
    // machine must not turn that into a failure, so the limit is generous: it
    // is there so that a hung test fails with its name instead of hanging CI.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
