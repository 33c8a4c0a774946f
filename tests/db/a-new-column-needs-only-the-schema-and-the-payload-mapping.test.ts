import { execFile } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/app-server";
import { copyProject, type ProjectCopy } from "../support/project-copy";

/**
 * Adding a column to `users` means editing the schema and the payload mapping,
 * and nothing else. In a copy of the project, Clerk's `locale` is added to
 * app/db/schema.ts and app/clerk/clerk-user.ts only, and a migration generated:
 * the app still type-checks (no error the unedited copy does not have), and every
 * door writes the new column, notices a change in it, and erases it on deletion.
 */

const run = promisify(execFile);
const SCRATCH = "tests/db/a-new-column-needs-only-the-schema-and-the-payload-mapping.scratch.ts";

let copy: ProjectCopy;
beforeAll(() => {
  copy = copyProject();
  for (const entry of ["drizzle.config.ts", "tests/support", SCRATCH]) {
    cpSync(join(ROOT, entry), join(copy.dir, entry), { recursive: true });
  }
  // The app, as `tsc` checks it in `npm test`, without the tests and packages the copy leaves out.
  writeFileSync(
    join(copy.dir, "tsconfig.scratch.json"),
    JSON.stringify({ extends: "./tsconfig.json", include: ["app/**/*.ts", "app/**/*.tsx", "scripts/sync-all.ts"] }),
  );
});
afterAll(() => copy?.remove());

/** The copy's type errors, one line each, without their positions (an added line moves them). */
async function typeErrors(): Promise<string[]> {
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const output = await run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.scratch.json"], { cwd: copy.dir }).then(
    ({ stdout }) => stdout,
    (failed: { stdout: string }) => failed.stdout,
  );
  return output
    .split("\n")
    .filter((line) => /error TS\d+/.test(line))
    .map((line) => line.replace(/\(\d+,\d+\)/, ""));
}

/** Inserts `added` after the one line `after` in a file of the copy. */
function addLine(file: string, after: string, added: string): void {
  const path = join(copy.dir, file);
  const text = readFileSync(path, "utf8");
  // The anchor is a line each file has once today; if it moves, this test must be told where the column goes.
  expect(text.split(after).length - 1, `${file} has "${after.trim()}" once`).toBe(1);
  writeFileSync(path, text.replace(after, `${after}${added}`));
}

describe("a column added to users", () => {
  it("needs the schema and the payload mapping only: the app type-checks, and every door writes, compares and erases it", async () => {
    const before = await typeErrors();

    addLine("app/db/schema.ts", '    username: text("username"),\n', '    locale: text("locale"),\n');
    addLine("app/clerk/clerk-user.ts", "  username: optionalText,\n", "  locale: optionalText,\n");
    addLine("app/clerk/clerk-user.ts", "  username: string | null;\n", "  locale: string | null;\n");
    addLine("app/clerk/clerk-user.ts", "    username: user.username ?? null,\n", "    locale: user.locale ?? null,\n");
    await run("npx", ["drizzle-kit", "generate", "--name", "locale"], { cwd: copy.dir });

    expect(await typeErrors()).toEqual(before);

    const { stdout } = await run(process.execPath, ["--import", "tsx", SCRATCH], {
      cwd: copy.dir,
      env: { ...process.env, DATABASE_URL: join(copy.dir, "data", "app.db") },
    });
    const found = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(found.webhook).toEqual({
      created: { ok: true, outcome: "created" },
      afterCreate: "fr-FR",
      changed: { ok: true, outcome: "updated" },
      afterChange: "de-DE",
      deleted: { ok: true, outcome: "deleted" },
      afterDelete: null,
    });
    expect(found.sync).toEqual({
      stored: "en-GB",
      syncChange: { outcome: "updated", clerkId: expect.any(String), changedFields: ["locale"] },
      message: "Locale updated.",
    });
    expect(found.page).toEqual(Array.from({ length: 150 }, (_, i) => `x-page-${i}`));
  });
});
