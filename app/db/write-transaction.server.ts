import { TransactionRollbackError } from "drizzle-orm";
import type { AppDatabase } from "./db.server";

/** The one transaction type: what every function that writes takes, so it can only run inside one. */
export type WriteTransaction = Parameters<Parameters<AppDatabase["transaction"]>[0]>[0];

export interface DryRunOption {
  /** Work out every outcome, then roll back: what a `--dry-run` reports, with nothing written. */
  dryRun?: boolean;
}

/**
 * Every transaction that writes goes through here, and starts `BEGIN IMMEDIATE`
 * (decision 002). A deferred one reads first and asks for the write lock at its
 * first write: if another connection committed in between, SQLite answers
 * SQLITE_BUSY at once, busy_timeout or not. Taking the lock up front means a
 * writer either waits for its turn before doing anything or fails before
 * anything was read, which withLockRetry can simply try again.
 */
export function writeTransaction<T>(
  db: AppDatabase,
  write: (tx: WriteTransaction) => T,
  options: DryRunOption = {},
): T {
  if (!options.dryRun) return db.transaction(write, { behavior: "immediate" });
  let outcome: { value: T } | undefined;
  try {
    db.transaction(
      (tx) => {
        outcome = { value: write(tx) };
        tx.rollback();
      },
      { behavior: "immediate" },
    );
  } catch (error) {
    if (!(error instanceof TransactionRollbackError)) throw error;
  }
  return outcome!.value;
}
