import { closeDb } from "~/db/db.server";

/**
 * remix-serve answers SIGINT and SIGTERM by closing its HTTP server and then waits for whatever else keeps
 * the process alive: in development, its own watcher of the build, forever. A stop could leave it running
 * with the port and the database open. The app gives requests in flight a moment, then exits; the database
 * is closed on exit, which checkpoints its WAL.
 */
const SHUTDOWN_GRACE_MS = 2_000;

// Remix's dev server re-imports the build on every change: install once per process, not per import.
const installed = globalThis as typeof globalThis & { __clerkSyncExitOnStop?: true };

export function exitPromptlyOnStop(): void {
  if (installed.__clerkSyncExitOnStop) return;
  installed.__clerkSyncExitOnStop = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // Unref'd: a process that has nothing left to do ends at once, as before.
    process.once(signal, () => void setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref());
  }
  process.once("exit", () => closeDb());
}
