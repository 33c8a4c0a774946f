// `npm start`: remix-serve on the production build, with `.env` read first (the shell wins). Plain JavaScript,
// so that the production server loads no TypeScript tooling.
import "./env-file.js";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const build = join(root, "build", "index.js");
const mode = existsSync(build) ? /\bmode = "(\w+)"/.exec(readFileSync(build, "utf8"))?.[1] : null;
if (mode !== "production") {
  console.error(
    mode
      ? `build/ holds a ${mode} build, not a production one: run \`npm run build\` first.`
      : "No production build (build/index.js): run `npm run build` first.",
  );
  process.exit(1);
}
// remix-serve reads its build path from argv and starts as it is loaded, in this process: signals reach it.
process.argv.splice(2, process.argv.length - 2, build);
await import("@remix-run/serve/dist/cli.js");
