import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("../..", import.meta.url));

// `npm run test:reliability`: load, crash and hostile-input tests against the
// production build. Files run one at a time: each drives a server as hard as
// the machine allows, and two at once would only measure each other.
export default defineConfig({
  root,
  resolve: { alias: { "~": `${root}app` } },
  test: {
    include: ["tests/reliability/**/*.test.ts"],
    setupFiles: ["tests/support/test-env.ts"],
    pool: "forks",
    fileParallelism: false,
    // Correctness only: speed lives in the bench scripts, so the limit is only
    // there so that a hung test fails with its name instead of hanging CI.
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
