// One lint config for the app, the scripts, the tests and the workspace packages.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import jsxA11y from "eslint-plugin-jsx-a11y";
import react from "eslint-plugin-react";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "build/",
      "public/build/",
      ".cache/",
      ".stryker-tmp/",
      "reports/",
      "node_modules/",
      "test-results/",
      "data/",
      "**/*.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: { ...globals.node, ...globals.browser },
    },
    rules: {
      // Unused arguments named _x are deliberate (handler signatures).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
      // Clerk payloads and test fixtures are untyped JSON: `any` at those edges is honest.
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    // Type-aware, and only the rules about promises: a promise nobody awaits or catches loses its error
    // (an unhandled rejection ends the process), and one passed where a callback's result is ignored
    // (an event handler) does the same.
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
    },
  },
  // The direction of the house (docs/architecture.md): the doors (webhook/, sync/, backfill/) use the shared
  // layers (clerk/, db/), never the other way round nor each other; app/ never imports the stand-in or scripts/.
  ...[["app/clerk/**", "app/db/**"], ["app/webhook/**"], ["app/sync/**"], ["app/backfill/**"]].map((files) => {
    const own = files[0].split("/")[1];
    const doors = ["webhook", "sync", "backfill"].filter((door) => door !== own);
    return {
      files,
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                group: doors.flatMap((door) => [`~/${door}/*`, `../${door}/*`]),
                message: "A shared layer or another door: move what both need into app/clerk or app/db.",
              },
              { group: ["@clerk-sync/*", "**/scripts/*"], message: "app/ runs without the stand-in and scripts/." },
            ],
          },
        ],
      },
    };
  }),
  {
    files: ["app/**/*.tsx"],
    ...react.configs.flat.recommended,
    ...react.configs.flat["jsx-runtime"],
    settings: { react: { version: "detect" } },
  },
  {
    files: ["app/**/*.tsx"],
    plugins: { "react-hooks": reactHooks, "jsx-a11y": jsxA11y },
    settings: { react: { version: "detect" } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...jsxA11y.flatConfigs.recommended.rules,
    },
  },
  prettier,
);
