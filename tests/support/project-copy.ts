import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./app-server";

/**
 * A copy of the project as a user's clone has it (sources, package.json, migrations; node_modules linked,
 * no data/, no build, no .env), so a test runs the real npm scripts with a `.env` of its own and its own
 * data/ folder, without touching the developer's.
 */
export interface ProjectCopy {
  dir: string;
  writeEnvFile(values: Record<string, string>): void;
  /** `npm run <script> -- <args>` in the copy; the environment is PATH and HOME plus `env`, as a fresh shell has. */
  npm(script: string, args?: string[], env?: Record<string, string | undefined>): RunningScript;
  remove(): void;
}

export interface RunningScript {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once it matches, rejects when the script exits first. */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  /** Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group. */
  interrupt(): void;
}

const COPIED = [
  "app",
  "scripts",
  "drizzle",
  "public",
  "remix.config.js",
  "tsconfig.json",
  "package.json",
  ".env.example",
];

export function copyProject(): ProjectCopy {
  const dir = mkdtempSync(join(tmpdir(), "clerk-sync-clone-"));
  for (const entry of COPIED) {
    cpSync(join(ROOT, entry), join(dir, entry), {
      recursive: true,
      filter: (source) => !source.startsWith(join(ROOT, "public", "build")),
    });
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return {
    dir,
    writeEnvFile(values) {
      const text = Object.entries(values)
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join("\n");
      writeFileSync(join(dir, ".env"), `${text}\n`, { mode: 0o600 });
    },
    npm(script, args = [], env = {}) {
      const child = spawn("npm", ["run", "-s", script, ...(args.length ? ["--", ...args] : [])], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as Record<string, string> as NodeJS.ProcessEnv,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, as a terminal's foreground job is.
        detached: true,
      });
      let output = "";
      const listeners = new Set<() => void>();
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        for (const listener of listeners) listener();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
        child.once("close", (code, signal) => resolve({ code, signal, output })),
      );
      return {
        child,
        output: () => output,
        exited,
        interrupt() {
          try {
            process.kill(-child.pid!, "SIGINT");
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // the group has already ended
          }
        },
        waitFor(pattern) {
          return new Promise((resolve, reject) => {
            const check = () => {
              if (!pattern.test(output)) return;
              listeners.delete(check);
              resolve(output);
            };
            listeners.add(check);
            check();
            void exited.then(() => {
              if (listeners.delete(check)) {
                reject(new Error(`npm run ${script} exited before printing ${pattern}:\n${output}`));
              }
            });
          });
        },
      };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
