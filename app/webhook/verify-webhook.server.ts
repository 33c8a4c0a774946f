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

// What is read and dropped of an oversized body after its 413 has gone out (see
// answerWhileDiscardingTheRest). Beyond it the connection is closed with the rest
// unread: nobody legitimate sends that much.
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * What bodies not yet verified hold across all requests at once: bytes, and how
 * many. Anyone can send a webhook request, so without a shared cap sixty slow
 * senders each declaring 1 MiB hold 60 MiB for as long as they like, and
 * thousands declaring a few bytes each hold thousands of open requests.
 */
export class PendingBodyBudget {
  private bytes = 0;
  private bodies = 0;
  constructor(
    readonly maxBytes: number,
    readonly maxBodies = Number.POSITIVE_INFINITY,
  ) {}

  get heldBytes(): number {
    return this.bytes;
  }

  get heldBodies(): number {
    return this.bodies;
  }

  /** Reserves `bytes` for one more body, unless that would pass either cap. */
  tryReserve(bytes: number): boolean {
    if (this.bodies >= this.maxBodies || this.bytes + bytes > this.maxBytes) return false;
    this.bytes += bytes;
    this.bodies += 1;
    return true;
  }

  release(bytes: number): void {
    this.bytes -= bytes;
    this.bodies -= 1;
  }
}

/**
 * A request holds memory before its first body byte arrives (the socket, the
 * parser, the stream in front of the body, the Request itself), so each body
 * reserves at least this much: a body declaring a few bytes is not free.
 */
export const MIN_PENDING_BODY_RESERVATION = 64 * 1024;

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
 * never see the 408/413/503 it can act on (the response closes the connection).
 */
export async function readBodyWithLimit(request: Request, options: BodyReadOptions = {}): Promise<BodyReadResult> {
  const limit = options.limit ?? MAX_WEBHOOK_BODY_BYTES;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return { ok: false, reason: "too_large" };
  if (!request.body) return { ok: true, body: "" };

  // Reserved up front for what this body may come to hold, so the cap holds
  // however slowly the bytes arrive.
  const reserved = Math.max(MIN_PENDING_BODY_RESERVATION, Number.isFinite(declared) ? declared : limit);
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
  const reading = readAll(request, request.body, declared, limit).finally(release);
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
  request: Request,
  body: ReadableStream<Uint8Array>,
  declared: number,
  limit: number,
): Promise<BodyReadResult> {
  try {
    // Node's HTTP parser never delivers more than a declared Content-Length, so a
    // declared size within the limit can be read in one go (the common, faster case).
    // Bytes, not request.text(): that drops a leading BOM, and Svix signs the exact bytes.
    if (Number.isFinite(declared)) return { ok: true, body: Buffer.from(await request.arrayBuffer()).toString("utf8") };
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // The rest is for answerWhileDiscardingTheRest, once the 413 is out.
        reader.releaseLock();
        return { ok: false, reason: "too_large" };
      }
      chunks.push(value);
    }
    return { ok: true, body: Buffer.concat(chunks, size).toString("utf8") };
  } catch {
    // The sender went away mid-body.
    return { ok: false, reason: "incomplete" };
  }
}

/**
 * Sends `answer` (a refusal of an oversized body) at once, and keeps the connection
 * open while what is left of the body is read and dropped: closing a socket with
 * bytes still unread resets the connection, and a sender still writing would lose
 * the answer in the reset. Dropped until the body ends, DISCARD_LIMIT_BYTES, or the
 * deadline; then the answer ends and its `Connection: close` shuts the socket. Meanwhile
 * it holds a pending body's place in the budget; with no room, the answer goes alone.
 */
export async function answerWhileDiscardingTheRest(
  answer: Response,
  request: Request,
  options: Pick<BodyReadOptions, "deadlineMs" | "budget"> = {},
): Promise<Response> {
  const rest = request.body;
  const { budget } = options;
  if (!rest || rest.locked || (budget && !budget.tryReserve(MIN_PENDING_BODY_RESERVATION))) return answer;
  let released = false;
  const release = () => {
    if (!released && budget) budget.release(MIN_PENDING_BODY_RESERVATION);
    released = true;
  };
  const bytes = new Uint8Array(await answer.arrayBuffer());
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true;
        return controller.enqueue(bytes);
      }
      await discard(rest, options.deadlineMs);
      release();
      controller.close();
    },
    cancel: release,
  });
  const headers = new Headers(answer.headers);
  // The client has the whole answer with its last byte, not only when the connection closes.
  headers.set("Content-Length", String(bytes.byteLength));
  return new Response(body, { status: answer.status, headers });
}

async function discard(body: ReadableStream<Uint8Array>, deadlineMs: number | undefined): Promise<void> {
  const reader = body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    if (deadlineMs) timer = setTimeout(() => resolve(null), deadlineMs);
  });
  try {
    let size = 0;
    while (size <= DISCARD_LIMIT_BYTES) {
      const next = await Promise.race([reader.read(), deadline]);
      if (!next || next.done) break;
      size += next.value.byteLength;
    }
  } catch {
    // The sender went away: nothing left to drop.
  } finally {
    clearTimeout(timer);
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
      // svix parses only once a signature matched, so this body is Svix's.
      if (error instanceof SyntaxError) return parseAfterByteOrderMark(body);
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

/**
 * JSON sent over a network must not start with a byte order mark, and a parser
 * may ignore one (RFC 8259, section 8.1). The signature covers it, so it is
 * dropped only here, after the signature matched (docs/decisions/007).
 */
function parseAfterByteOrderMark(body: string): VerificationResult {
  if (!body.startsWith("\uFEFF")) return { ok: false, reason: "malformed_json" };
  try {
    return { ok: true, payload: JSON.parse(body.slice(1)) as unknown };
  } catch {
    return { ok: false, reason: "malformed_json" };
  }
}
