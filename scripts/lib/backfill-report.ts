import cliProgress from "cli-progress";
import type { BackfillProgress, BackfillStopped, BackfillSummary } from "~/backfill/backfill-users.server";
import type { SyncedKind } from "~/backfill/sync-all.server";
import type { RetryEvent } from "~/backfill/retry.server";
import { MAX_CLOCK_SKEW_MS } from "~/db/user-writer.server";

/**
 * What `sync:all` shows while it runs: a redrawn bar per kind (users, then
 * organizations, then memberships) on a terminal, plain lines otherwise (CI
 * logs, `| tee`), both on stderr so that stdout carries only the summaries. cli-progress draws the bar: it is the most used Node progress bar,
 * throttles redraws, computes the ETA and restores the cursor, which a
 * hand-rolled `\r` loop would have to get right again.
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const number = (n: number) => n.toLocaleString("en-US");

/** "1 user", "1,200 users". */
export const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** The word for one item of each kind. */
const NOUN: Record<SyncedKind, string> = { users: "user", organizations: "organization", memberships: "membership" };
/** The webhook a prune's tombstone of each kind stands in for. */
const TOMBSTONED_AS: Record<SyncedKind, string> = {
  users: "as user.deleted would",
  organizations: "as organization.deleted would, with their memberships",
  memberships: "as organizationMembership.deleted would",
};

function describeRetry(event: RetryEvent): string {
  if (event.kind === "rate_limited") {
    const why = event.retryAfterSeconds === null ? "no Retry-After given" : "as Retry-After asks";
    return `Clerk is rate-limiting (429): waiting ${seconds(event.waitMs)}, ${why}`;
  }
  return `${event.reason.replace(/\.$/, "")}: retry ${event.attempt + 1}/${event.maxAttempts} in ${seconds(event.waitMs)}`;
}

/** Plain lines: one per committed page, at most one a second (plus the last), and every retry. */
export function lineProgress(
  stream: ProgressStream,
  clock: () => number = Date.now,
  kind: SyncedKind = "users",
): BackfillProgress {
  const noun = NOUN[kind];
  let startedAt = clock();
  let lastLineAt = -Infinity;
  let lastDone = -1;
  return {
    begin() {
      startedAt = clock();
    },
    page(done, total) {
      const at = clock();
      // The walk ends on a short (often empty) page: no second line for the same count.
      if (done === lastDone || (at - lastLineAt < 1000 && done < total)) return;
      lastLineAt = at;
      lastDone = done;
      const rate = Math.round(done / Math.max((at - startedAt) / 1000, 0.001));
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      stream.write(`sync:all ${number(done)}/${plural(total, noun)} (${percent}%) · ${number(rate)} ${noun}s/s\n`);
    },
    retry(event) {
      stream.write(`sync:all ${describeRetry(event)}\n`);
    },
    checkingMissing(candidates) {
      stream.write(`sync:all checking ${plural(candidates, `stored ${noun}`)} that Clerk did not list\n`);
    },
    end() {},
  };
}

/** A bar redrawn in place: users done / total, rate, ETA, and what it is waiting for. */
export function barProgress(
  stream: ProgressStream,
  clock: () => number = Date.now,
  kind: SyncedKind = "users",
): BackfillProgress {
  const noun = NOUN[kind];
  let startedAt = clock();
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `Syncing ${kind} {bar} {percentage}% | {value}/{total} ${kind} | {rate} ${noun}s/s | ETA {eta_formatted} {status}`,
      hideCursor: true,
      etaBuffer: 20,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const rate = (done: number) => number(Math.round(done / Math.max((clock() - startedAt) / 1000, 0.001)));
  return {
    begin() {
      startedAt = clock();
    },
    page(done, total) {
      if (!started) {
        bar.start(total, done, { rate: rate(done), status: "" });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { rate: rate(done), status: "" });
      }
    },
    retry(event) {
      if (!started) {
        bar.start(0, 0, { rate: "0", status: "" });
        started = true;
      }
      bar.update({ status: `· ${describeRetry(event)}` });
    },
    checkingMissing(candidates) {
      bar.update({ status: `· checking ${plural(candidates, noun)} Clerk did not list` });
    },
    end() {
      if (started) bar.stop();
    },
  };
}

export function progressFor(stream: ProgressStream, kind: SyncedKind = "users"): BackfillProgress {
  return stream.isTTY ? barProgress(stream, Date.now, kind) : lineProgress(stream, Date.now, kind);
}

export function formatSummary(summary: BackfillSummary, options: { prune: boolean; kind?: SyncedKind }): string {
  const kind = options.kind ?? "users";
  const noun = NOUN[kind];
  const rate = Math.round(summary.listed / Math.max(summary.elapsedMs / 1000, 0.001));
  const lines = [
    summary.dryRun
      ? `Dry run: read ${plural(summary.listed, noun)} from Clerk in ${seconds(summary.elapsedMs)}. Nothing was written; a real run would do this:`
      : `Synced ${plural(summary.listed, noun)} from Clerk in ${seconds(summary.elapsedMs)} (${number(rate)} ${noun}s/s, ${plural(summary.pages, "page")}).`,
    `  created    ${number(summary.created)}`,
    `  updated    ${number(summary.updated)}`,
    `  unchanged  ${number(summary.unchanged)}`,
    `  skipped    ${number(summary.skipped)}${summary.skipped ? `  (${skippedWhy(summary)})` : ""}`,
  ];
  if (summary.skippedFuture) {
    const shown = summary.futureDatedIds;
    const more = summary.skippedFuture - shown.length;
    lines.push(
      `  not stored: updated_at more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of this machine's clock (check it): ` +
        `${shown.join(", ")}${more > 0 ? `, … and ${number(more)} more` : ""}`,
    );
  }
  if (options.prune)
    lines.push(
      `  pruned     ${number(summary.pruned)}${summary.pruned ? `  (no longer in Clerk: tombstoned ${TOMBSTONED_AS[kind]})` : ""}`,
    );
  if (summary.prunedIds.length) {
    const shown = summary.prunedIds.slice(0, 20);
    const more = summary.prunedIds.length - shown.length;
    lines.push(
      `  ${summary.dryRun ? "would tombstone" : "tombstoned"}: ${shown.join(", ")}${more > 0 ? `, … and ${number(more)} more` : ""}`,
    );
  }
  if (summary.inOneMillisecond) {
    lines.push(
      `  ${plural(summary.inOneMillisecond, "user")} shared a created_at millisecond with a page or more of others: ` +
        "no created_at bound parts them, so one cursor read them a page at a time",
    );
  }
  if (summary.rateLimitWaits || summary.retries) {
    lines.push(
      `  (waited out ${plural(summary.rateLimitWaits, "rate limit")} and retried ${plural(summary.retries, "failed request")})`,
    );
  }
  return lines.join("\n") + "\n";
}

function skippedWhy(summary: BackfillSummary): string {
  const why = [`${number(summary.skippedStale)} older than stored`, `${number(summary.skippedDeleted)} deleted here`];
  if (summary.skippedFuture) why.push(`${number(summary.skippedFuture)} dated in the future`);
  return why.join(", ");
}

/** What the command prints when the run stopped: the reason, then what was kept and what to do. */
export function formatStopped(stopped: BackfillStopped, kind: SyncedKind = "users"): string {
  if (stopped.dryRun) return `\n${stopped.message}\nNothing was written: this was a dry run.`;
  // Users come first: a stop in a later kind keeps every user.
  const saved =
    kind === "users"
      ? stopped.done > 0
        ? "The users imported so far are saved. "
        : ""
      : `The users${stopped.done > 0 ? `, and the ${kind} imported so far,` : ""} are saved. `;
  return `\n${stopped.message}\n` + saved + "Fix the cause and run `npm run sync:all` again: it is safe to repeat.";
}
