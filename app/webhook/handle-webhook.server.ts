import { json } from "@remix-run/node";
import { getEnv } from "~/env.server";
import { getDb, type AppDatabase } from "~/db/db.server";
import { BUSY_RETRY_AFTER_SECONDS, withLockRetry } from "~/db/lock-retry.server";
import { writeTransaction, type WriteTransaction } from "~/db/write-transaction.server";
import { isBeyondClockSkew, MAX_CLOCK_SKEW_MS, tombstoneClerkUser, writeClerkUser } from "~/db/user-writer.server";
import { findDelivery, recordDelivery } from "~/db/webhook-ledger.server";
import { describeError, log } from "~/logger.server";
import { isMembershipEventType, isOrganizationEventType } from "~/clerk/clerk-organization";
import { tombstoneMembershipsOfUser } from "~/db/organization-writer.server";
import {
  clerkEventSchema,
  clerkUserSchema,
  clerkUserToRow,
  deletedClerkUserSchema,
  isUserEventType,
} from "~/clerk/clerk-user";
import {
  answerWhileDiscardingTheRest,
  PendingBodyBudget,
  readBodyWithLimit,
  svixHeadersOf,
  verifyClerkWebhook,
  type BodyReadResult,
  type SvixHeaders,
} from "./verify-webhook.server";
import { zodMessage, type EventHandling } from "./event-handler.server";
import { handleMembershipEvent } from "./membership-events.server";
import { handleOrganizationEvent } from "./organization-events.server";

/**
 * Clerk → Svix → here. The order is the point: verify the raw body, then parse
 * it, then one transaction (ledger row + user write), then answer. A 2xx goes
 * out only after the commit, so Svix retries anything we did not keep.
 */

export interface WebhookOutcome {
  status: number;
  body: Record<string, unknown>;
  /** For the delivery log line: what happened, never what the payload said. */
  outcome: string;
  svixId: string | null;
  eventType: string | null;
}

const answer = (status: number, body: Record<string, unknown>) => ({ status, body });

export function processClerkWebhook(
  body: string,
  headers: SvixHeaders | null,
  options: { secrets?: readonly string[]; db?: AppDatabase; now?: number } = {},
): WebhookOutcome {
  const secrets = options.secrets ?? getEnv().webhook.signingSecrets;
  const base = { svixId: headers?.["svix-id"] ?? null, eventType: null as string | null };
  if (!headers) {
    return { ...base, ...answer(400, { error: "missing_svix_headers" }), outcome: "rejected" };
  }
  const verified = verifyClerkWebhook(body, headers, secrets);
  if (!verified.ok && verified.reason !== "malformed_json") {
    // Unauthenticated input: answer, but write nothing.
    return { ...base, ...answer(400, { error: verified.reason }), outcome: "rejected" };
  }

  const db = options.db ?? getDb();
  const receivedAt = options.now ?? Date.now();
  const svixId = headers["svix-id"];

  const envelope = verified.ok ? clerkEventSchema.safeParse(verified.payload) : null;
  if (!envelope?.success) {
    const error = verified.ok ? "payload is not a Clerk event" : "body is not valid JSON";
    return recordFailure(db, { svixId, eventType: "unknown", clerkUserId: null, receivedAt, error });
  }
  const { type, data } = envelope.data;
  const dataId = typeof (data as { id?: unknown } | null)?.id === "string" ? (data as { id: string }).id : null;

  // Each entity's events go to its own handler; user.* stays below.
  const handling = isOrganizationEventType(type)
    ? handleOrganizationEvent(type, data, receivedAt)
    : isMembershipEventType(type)
      ? handleMembershipEvent(type, data, receivedAt)
      : null;
  if (handling) return commitHandled(db, svixId, type, receivedAt, handling);

  if (!isUserEventType(type)) {
    return commit(db, svixId, type, (tx) => {
      recordDelivery(tx, {
        svixId,
        eventType: type,
        clerkUserId: dataId,
        status: "ignored",
        outcome: "ignored",
        receivedAt,
      });
      return { status: 200, body: { ok: true, ignored: type }, outcome: "ignored" };
    });
  }

  if (type === "user.deleted") {
    const parsed = deletedClerkUserSchema.safeParse(data);
    if (!parsed.success) {
      return recordFailure(db, {
        svixId,
        eventType: type,
        clerkUserId: dataId,
        receivedAt,
        error: zodMessage(parsed.error),
      });
    }
    const clerkId = parsed.data.id;
    return commit(db, svixId, type, (tx) => {
      if (!clerkId) {
        // Nothing to delete and nothing a retry could fix.
        recordDelivery(tx, {
          svixId,
          eventType: type,
          clerkUserId: null,
          status: "ignored",
          outcome: "no_user_id",
          receivedAt,
        });
        return { status: 200, body: { ok: true, outcome: "no_user_id" }, outcome: "no_user_id" };
      }
      const result = tombstoneClerkUser(tx, clerkId, "webhook", receivedAt);
      // A deleted user is a member of nothing; the late membership events of theirs are refused by the writer.
      tombstoneMembershipsOfUser(tx, clerkId, "webhook", receivedAt);
      recordDelivery(tx, {
        svixId,
        eventType: type,
        clerkUserId: clerkId,
        status: "processed",
        outcome: result.outcome,
        receivedAt,
      });
      return { status: 200, body: { ok: true, outcome: result.outcome }, outcome: result.outcome };
    });
  }

  const parsed = clerkUserSchema.safeParse(data);
  if (!parsed.success) {
    return recordFailure(db, {
      svixId,
      eventType: type,
      clerkUserId: dataId,
      receivedAt,
      error: zodMessage(parsed.error),
    });
  }
  const fields = clerkUserToRow(parsed.data);
  if (isBeyondClockSkew(fields.clerkUpdatedAt, receivedAt)) {
    // As an ordering key it would make every real later change "stale" (docs/decisions/006).
    // Refused, Svix retries; once this clock has caught up, a retry is accepted.
    const error = `data.updated_at is more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes ahead of this server's clock`;
    return recordFailure(db, { svixId, eventType: type, clerkUserId: fields.clerkId, receivedAt, error });
  }
  return commit(db, svixId, type, (tx) => {
    const result = writeClerkUser(tx, fields, "webhook", receivedAt);
    recordDelivery(tx, {
      svixId,
      eventType: type,
      clerkUserId: fields.clerkId,
      status: "processed",
      outcome: result.outcome,
      receivedAt,
    });
    return { status: 200, body: { ok: true, outcome: result.outcome }, outcome: result.outcome };
  });
}

type Answer = Pick<WebhookOutcome, "status" | "body" | "outcome">;

/** Runs the write with its ledger row in one transaction; a repeated svix-id changes nothing. */
function commit(
  db: AppDatabase,
  svixId: string,
  eventType: string,
  write: (tx: WriteTransaction) => Answer,
): WebhookOutcome {
  // IMMEDIATE takes the write lock up front: while another process (the backfill CLI)
  // holds it, the attempt fails before any work, and withLockRetry queues it for another.
  const answer = writeTransaction(db, (tx): Answer => {
    const earlier = findDelivery(tx, svixId);
    if (earlier && earlier.status !== "failed") {
      return { status: 200, body: { ok: true, duplicate: true }, outcome: "duplicate" };
    }
    return write(tx);
  });
  return { ...answer, svixId, eventType };
}

function recordFailure(
  db: AppDatabase,
  failure: { svixId: string; eventType: string; clerkUserId: string | null; receivedAt: number; error: string },
): WebhookOutcome {
  return commit(db, failure.svixId, failure.eventType, (tx) => {
    recordDelivery(tx, { ...failure, status: "failed", outcome: "invalid_payload" });
    return { status: 400, body: { error: "invalid_payload", detail: failure.error }, outcome: "invalid_payload" };
  });
}

/** A per-entity handler's refusal or write, with the same ledger row, transaction and answers as user.*. */
function commitHandled(
  db: AppDatabase,
  svixId: string,
  eventType: string,
  receivedAt: number,
  handling: EventHandling,
): WebhookOutcome {
  const { ledgerId } = handling;
  if (!handling.ok) {
    return recordFailure(db, { svixId, eventType, clerkUserId: ledgerId, receivedAt, error: handling.error });
  }
  return commit(db, svixId, eventType, (tx) => {
    const { status, outcome } = handling.write(tx);
    recordDelivery(tx, { svixId, eventType, clerkUserId: ledgerId, status, outcome, receivedAt });
    return { status: 200, body: { ok: true, outcome }, outcome };
  });
}

const BODY_REFUSALS: Record<Exclude<BodyReadResult, { ok: true }>["reason"], { status: number; error: string }> = {
  too_large: { status: 413, error: "payload_too_large" },
  too_slow: { status: 408, error: "body_timeout" },
  too_many_pending: { status: 503, error: "too_many_pending_bodies" },
  incomplete: { status: 400, error: "body_incomplete" },
};

let pendingBodies: PendingBodyBudget | undefined;

// Until the signature matches, svix-id is whatever the sender put there, up to Node's
// 16 KiB of headers; Svix's own ids are a few dozen characters (docs/decisions/007).
const LOGGED_SVIX_ID_MAX = 64;
const svixIdForLog = (id: string | null) =>
  id && id.length > LOGGED_SVIX_ID_MAX ? `${id.slice(0, LOGGED_SVIX_ID_MAX)}…` : id;

/** The HTTP edge: method, body limits, lock waits, database failures, and the one log line per delivery. */
export async function handleClerkWebhook(request: Request): Promise<Response> {
  const started = performance.now();
  if (request.method !== "POST") {
    return json({ error: "method_not_allowed" }, { status: 405, headers: { Allow: "POST" } });
  }
  const { webhook, database } = getEnv();
  pendingBodies ??= new PendingBodyBudget(webhook.pendingBodyBytesMax, webhook.pendingBodiesMax);
  const headers = svixHeadersOf(request);
  const svixId = headers?.["svix-id"] ?? null;
  let result: WebhookOutcome;
  const read = await readBodyWithLimit(request, { deadlineMs: webhook.bodyTimeoutMs, budget: pendingBodies });
  if (!read.ok) {
    const { status, error } = BODY_REFUSALS[read.reason];
    result = { status, body: { error }, outcome: "rejected", svixId, eventType: null };
  } else {
    try {
      // Only the transaction can be busy, and SQLite rolled it back: verifying again is cheap.
      result = await withLockRetry(() => processClerkWebhook(read.body, headers), {
        totalMs: database.busyTimeoutMs,
        label: "clerk_webhook",
      });
    } catch (error) {
      // The database said no (or stayed locked): 5xx so that Svix delivers it again later.
      log.error("clerk_webhook_error", { svix_id: svixIdForLog(svixId), error: describeError(error) });
      result = { status: 503, body: { error: "temporarily_unavailable" }, outcome: "error", svixId, eventType: null };
    }
  }
  log.info("clerk_webhook", {
    svix_id: svixIdForLog(result.svixId),
    type: result.eventType,
    status: result.status,
    outcome: result.outcome,
    ms: Math.round((performance.now() - started) * 100) / 100,
  });
  const responseHeaders: Record<string, string> = {};
  if (result.status === 503) responseHeaders["Retry-After"] = String(BUSY_RETRY_AFTER_SECONDS);
  // The body may still be arriving: close the connection rather than wait to drain it.
  if (!read.ok) responseHeaders.Connection = "close";
  const response = json(result.body, { status: result.status, headers: responseHeaders });
  if (read.ok || read.reason !== "too_large") return response;
  // A sender of too much may still be writing: the 413 now, what it sends after dropped, then the close.
  return answerWhileDiscardingTheRest(response, request, { deadlineMs: webhook.bodyTimeoutMs, budget: pendingBodies });
}
