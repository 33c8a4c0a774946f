import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/lib/free-port";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export { freePort };

export interface RunningApp {
  url: string;
  process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts the production build with `remix-serve`, as `npm start` does. Run `npm run build` first. */
export async function startBuiltApp(env: Record<string, string | undefined>): Promise<RunningApp> {
  if (!existsSync(`${ROOT}/build/index.js`)) throw new Error("No production build: run `npm run build` first.");
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}/node_modules/@remix-run/serve/dist/cli.js`, "build/index.js"], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes("[remix-serve]") && resolve();
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`remix-serve exited with ${code}:\n${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Runs the build until it exits (for start-up failures): its exit code and output. */
export async function runBuiltAppUntilExit(env: Record<string, string | undefined>) {
  const port = await freePort();
  const child = spawn(process.execPath, [`${ROOT}/node_modules/@remix-run/serve/dist/cli.js`, "build/index.js"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: "production", HOST: "127.0.0.1", PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => {
    child.once("exit", resolve);
    // A server that did start is the failure we are looking for; stop it so the test can say so.
    child.stdout!.on("data", () => output.includes("[remix-serve]") && child.kill("SIGTERM"));
  });
  return { code, output };
}
