import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_USER } from "../../scripts/offline-env";
import { freePort } from "../support/app-server";
import { copyProject, type ProjectCopy, type RunningScript } from "../support/project-copy";
import { isAlive, listeningAddresses, processesWithFileOpen, processTree } from "../support/processes";

/**
 * `npm run dev` with no keys anywhere, in a fresh clone: the stand-in starts, the other commands find it
 * by themselves, an emptied app database is brought in step at the next start, and Ctrl-C leaves no
 * process, port or open database behind, every time.
 */

let project: ProjectCopy;
let shell: Record<string, string>;
let databasePath: string;
const running: RunningScript[] = [];

beforeAll(async () => {
  project = copyProject();
  databasePath = join(project.dir, "data", "app.db");
  // What a user might export to move the ports; no Clerk setting at all.
  shell = { PORT: String(await freePort()), CLERK_STAND_IN_PORT: String(await freePort()) };
});

afterAll(async () => {
  for (const script of running) script.interrupt();
  await Promise.all(running.map((script) => script.exited));
  project?.remove();
});

function npm(script: string, args: string[] = []): RunningScript {
  const run = project.npm(script, args, shell);
  running.push(run);
  return run;
}

function demoRows(): number {
  if (!existsSync(databasePath)) return 0;
  const db = new Database(databasePath, { readonly: true });
  try {
    return (db.prepare("select count(*) as n from users where email = ?").get(DEMO_USER.email) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Ctrl-C, then: the launcher's exit, no process of its tree alive, nothing holding the database or the ports. */
async function stopLikeCtrlC(dev: RunningScript): Promise<void> {
  const tree = processTree(dev.child.pid!);
  expect(tree.length).toBeGreaterThan(3); // npm, the launcher, remix dev, remix-serve at least
  dev.interrupt();
  const { code, output } = await dev.exited;
  expect(code).not.toBe(0);
  // Stopped by the signal, not by the launcher's last resort.
  expect(output).not.toContain("did not stop within");
  expect(tree.filter(isAlive)).toEqual([]);
  expect(processesWithFileOpen(databasePath)).toEqual([]);
}

describe("npm run dev offline, as a new user runs it", () => {
  it("prints a start-up box that fits 80 columns, listens on loopback only, and the demo user lands", async () => {
    const dev = npm("dev");
    await dev.waitFor(/Users table (already|brought) in step with the stand-in/);
    const box = dev
      .output()
      .split("\n")
      .filter((line) => /^[┌│└]/.test(line));
    expect(box.length).toBeGreaterThan(8);
    for (const line of box) expect([...line].length).toBeLessThanOrEqual(80);
    expect(box.join("\n")).toContain(`${DEMO_USER.email} / ${DEMO_USER.password}`);

    const listening = listeningAddresses(processTree(dev.child.pid!));
    expect(listening).toEqual(
      expect.arrayContaining([`127.0.0.1:${shell.PORT}`, `127.0.0.1:${shell.CLERK_STAND_IN_PORT}`]),
    );
    // Remix's own dev server (live reload, port 3001 and up) included.
    expect(listening.length).toBeGreaterThanOrEqual(3);
    for (const address of listening) expect(address).toMatch(/^(127\.\d+\.\d+\.\d+|0:0:0:0:0:0:0:1):\d+$/);
    await until(() => demoRows() === 1);
  });

  it("sync:all and webhook:send find the running stand-in by themselves and say so first; clerk:stand-in -- env prints its export lines", async () => {
    const sync = await npm("sync:all").exited;
    expect(sync.code).toBe(0);
    expect(sync.output.split("\n")[0]).toBe(
      `Clerk: the offline stand-in at http://127.0.0.1:${shell.CLERK_STAND_IN_PORT} (found through CLERK_STAND_IN_PORT; no keys in the shell or .env)`,
    );
    expect(sync.output).toContain("unchanged  1");

    const send = await npm("webhook:send", ["user.created"]).exited;
    expect(send.code).toBe(0);
    expect(send.output.split("\n")[0]).toMatch(
      /^Clerk: the offline stand-in at http:\/\/127\.0\.0\.1:\d+ \(found through/,
    );
    expect(send.output).toContain("webhook_events: processed, outcome created (attempt 1)");

    const env = await npm("clerk:stand-in", ["env"]).exited;
    expect(env.code).toBe(0);
    expect(env.output).toMatch(/^export CLERK_SECRET_KEY='sk_live_[^']+'$/m);
    expect(env.output).toMatch(/^export OFFLINE_MODE='1'$/m);
    const evaluated = execFileSync("bash", ["-c", 'eval "$STAND_IN_ENV"; echo "$CLERK_API_URL"'], {
      env: { PATH: process.env.PATH ?? "", STAND_IN_ENV: env.output } as Record<string, string> as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    expect(evaluated.trim()).toBe(`http://127.0.0.1:${shell.CLERK_STAND_IN_PORT}`);
  });

  it("stops every process it started on Ctrl-C, with the database closed", async () => {
    await stopLikeCtrlC(running[0]);
  });

  it("brings an emptied app database in step with the stand-in's remembered users at the next start, and stops cleanly again", async () => {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${databasePath}${suffix}`, { force: true });
    const dev = npm("dev");
    await dev.waitFor(/Users table brought in step with the stand-in: 1 added, 0 updated \(1 user in all\)\./);
    expect(demoRows()).toBe(1);
    await stopLikeCtrlC(dev);
  });

  it("start:offline builds for production first when build/ is missing or holds another kind of build", async () => {
    expect(existsSync(join(project.dir, "build"))).toBe(false);
    const first = npm("start:offline");
    await first.waitFor(/OFFLINE MODE \(production build\)/);
    expect(first.output()).toContain("No build yet: building first.");
    expect(readFileSync(join(project.dir, "build", "index.js"), "utf8")).toMatch(/\bmode = "production"/);
    await stopLikeCtrlC(first);

    writeFileSync(join(project.dir, "build", "index.js"), 'var mode = "development";\nexport { mode };\n');
    const second = npm("start:offline");
    await second.waitFor(/OFFLINE MODE \(production build\)/);
    expect(second.output()).toContain("build/ holds a development build: building for production first.");
    expect(readFileSync(join(project.dir, "build", "index.js"), "utf8")).toMatch(/\bmode = "production"/);
    await stopLikeCtrlC(second);
  });
});
