import { Webhook, WebhookVerificationError } from "svix";

/**
 * Svix signature verification over the raw body. Clerk signs with one secret
 * per endpoint; during a rotation both the old and the new secret are valid,
 * so any configured secret may match.
 */

export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export type SvixHeaders = { "svix-id": string; "svix-timestamp": string; "svix-signature": string };

export type BodyReadResult = { ok: true; body: string } | { ok: false; reason: "too_large" };

// Past the limit we keep reading, without storing, up to this many more bytes, so
// that an ordinary client sees the 413 rather than a reset connection. Beyond it
// the connection is cut: nobody legitimate sends that much.
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

/** Keeps at most `limit` bytes in memory: a larger body is refused (413). */
export async function readBodyWithLimit(request: Request, limit = MAX_WEBHOOK_BODY_BYTES): Promise<BodyReadResult> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit + DISCARD_LIMIT_BYTES) {
    await request.body?.cancel().catch(() => {});
    return { ok: false, reason: "too_large" };
  }
  if (!request.body) return { ok: true, body: "" };
  // Node's HTTP parser never delivers more than a declared Content-Length, so a
  // declared size within the limit can be read in one go (the common, faster case).
  if (Number.isFinite(declared) && declared <= limit) return { ok: true, body: await request.text() };
  const reader = request.body.getReader();
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
