import type { ClerkUserFields } from "~/clerk/clerk-user";

/**
 * Pages are written together every this many ms (about five at the production
 * limit): a commit rewrites the index pages it touches, so fewer, larger
 * transactions cost SQLite less per user.
 */
export const WRITE_EVERY_MS = 50;

/** Pages handed in while a write waits are written in one call; a failed write is thrown by the next `add`. */
export class BatchedWrites {
  private readonly unwritten: ClerkUserFields[][] = [];
  private pending: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(private readonly write: (pages: readonly ClerkUserFields[][]) => void) {}

  add(users: ClerkUserFields[]): void {
    if (this.failure) throw this.failure.error;
    this.unwritten.push(users);
    this.pending ??= new Promise((resolve) =>
      setTimeout(() => {
        this.pending = null;
        try {
          this.write(this.unwritten.splice(0));
        } catch (error) {
          this.failure ??= { error };
        }
        resolve();
      }, WRITE_EVERY_MS),
    );
  }

  /** Resolves once everything handed in is written; rejects with the write's error if one failed. */
  async flushed(): Promise<void> {
    await this.pending;
    if (this.failure) throw this.failure.error;
  }
}
