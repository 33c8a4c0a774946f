import { Webhook, WebhookVerificationError } from "svix";

/**
 * Svix signature verification over the raw body. Clerk signs with one secret
 * per endpoint; during a rotation both the old and the new secret are valid,
 * so any configured secret may match.
 */

export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export type SvixHeaders = { "svix-id": string; "svix-timestamp": string; "svix-signature": string };

export type BodyReadResult =
  { ok: true; body: string } | { ok: false; reason: "too_large" | "too_slow" | "too_many_pending" | "incomplete" };

// Past the limit we keep reading, without storing, up to this many more bytes, so
// that an ordinary client sees the 413 rather than a reset connection. Beyond it
// the connection is cut: nobody legitimate sends that much.
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The bytes that bodies not yet verified hold across all requests at once.
 * Anyone can send a webhook request, so without a shared cap sixty slow senders
 * each declaring 1 MiB hold 60 MiB for as long as they like.
 */
export class PendingBodyBudget {
  private held = 0;
  constructor(readonly maxBytes: number) {}

  get heldBytes(): number {
    return this.held;
  }

  tryReserve(bytes: number): boolean {
    if (this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}

export interface BodyReadOptions {
  /** Bytes kept in memory; a larger body is refused (413). */
  limit?: number;
  /** The whole body must have arrived by then, or the answer is 408. */
  deadlineMs?: number;
  /** Shared by every request in the process; a body that does not fit is refused (503). */
  budget?: PendingBodyBudget;
}

/**
 * Reads the raw body for verification, keeping at most `limit` bytes, within a
 * deadline and within the shared budget. A refused or late body is left unread
 * rather than cancelled: cancelling destroys the socket, and the sender would
 * never see the 408/503 it can act on (the response closes the connection).
 */
export async function readBodyWithLimit(request: Request, options: BodyReadOptions = {}): Promise<BodyReadResult> {
  const limit = options.limit ?? MAX_WEBHOOK_BODY_BYTES;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit + DISCARD_LIMIT_BYTES) {
    await request.body?.cancel().catch(() => {});
    return { ok: false, reason: "too_large" };
  }
  if (!request.body) return { ok: true, body: "" };

  // Reserved up front for what this body may come to hold, so the cap holds
  // however slowly the bytes arrive.
  const reserved = Number.isFinite(declared) && declared <= limit ? declared : limit;
  const { budget } = options;
  if (budget && !budget.tryReserve(reserved)) return { ok: false, reason: "too_many_pending" };
  // Released when the read ends or the deadline passes, whichever is first: a sender
  // that vanishes mid-body can leave the read pending for good, and after the
  // deadline the answer closes the connection, so nothing more arrives.
  let released = false;
  const release = () => {
    if (!released && budget) budget.release(reserved);
    released = true;
  };
  const reading = readAll(request.body, declared, limit, () => request.text()).finally(release);
  if (!options.deadlineMs) return reading;

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<BodyReadResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: "too_slow" }), options.deadlineMs);
  });
  return Promise.race([reading, deadline]).finally(() => {
    clearTimeout(timer);
    release();
  });
}

async function readAll(
  body: ReadableStream<Uint8Array>,
  declared: number,
  limit: number,
  readAsText: () => Promise<string>,
): Promise<BodyReadResult> {
  try {
    // Node's HTTP parser never delivers more than a declared Content-Length, so a
    // declared size within the limit can be read in one go (the common, faster case).
    if (Number.isFinite(declared) && declared <= limit) return { ok: true, body: await readAsText() };
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit + DISCARD_LIMIT_BYTES) {
        await reader.cancel().catch(() => {});
        break;
      }
      if (size <= limit) chunks.push(value);
    }
    if (size > limit) return { ok: false, reason: "too_large" };
    return { ok: true, body: Buffer.concat(chunks, size).toString("utf8") };
  } catch {
    // The sender went away mid-body.
    return { ok: false, reason: "incomplete" };
  }
}

export function svixHeadersOf(request: Request): SvixHeaders | null {
  const id = request.headers.get("svix-id");
  const timestamp = request.headers.get("svix-timestamp");
  const signature = request.headers.get("svix-signature");
  if (!id || !timestamp || !signature) return null;
  return { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature };
}

export type VerificationResult =
  | { ok: true; payload: unknown }
  | { ok: false; reason: "invalid_signature" | "timestamp_out_of_tolerance" }
  // The signature matched, so the sender is Svix, but the body is not JSON.
  | { ok: false; reason: "malformed_json" };

const verifiers = new Map<string, Webhook>();

function verifierFor(secret: string): Webhook {
  let verifier = verifiers.get(secret);
  if (!verifier) {
    verifier = new Webhook(secret);
    verifiers.set(secret, verifier);
  }
  return verifier;
}

export function verifyClerkWebhook(body: string, headers: SvixHeaders, secrets: readonly string[]): VerificationResult {
  let reason: "invalid_signature" | "timestamp_out_of_tolerance" = "invalid_signature";
  for (const secret of secrets) {
    try {
      const payload = verifierFor(secret).verify(body, headers);
      // svix returns undefined for an empty body rather than failing to parse it.
      return payload === undefined ? { ok: false, reason: "malformed_json" } : { ok: true, payload };
    } catch (error) {
      if (error instanceof SyntaxError) return { ok: false, reason: "malformed_json" };
      if (!(error instanceof WebhookVerificationError)) throw error;
      // The timestamp is checked before the signature and is the same for every secret.
      if (/timestamp too (old|new)/.test(error.message)) {
        return { ok: false, reason: "timestamp_out_of_tolerance" };
      }
      reason = "invalid_signature";
    }
  }
  return { ok: false, reason };
}
