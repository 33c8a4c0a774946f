import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";
import { clerkErrorBody, malformedJson, StandInError } from "./errors.js";

/** What every route of the stand-in sees: Hono on Node, with the raw request at hand (socket address). */
export type StandInEnv = { Bindings: HttpBindings };
export type StandInContext = Context<StandInEnv>;

const MAX_BODY_BYTES = 50 * 1024 * 1024;

export async function readBody(c: Context): Promise<string> {
  const stream = c.req.raw.body;
  if (!stream) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new StandInError(413, "request_body_too_large", "Request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseJsonText(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw malformedJson();
  }
}

export async function readJson(c: Context): Promise<unknown> {
  return parseJsonText(await readBody(c));
}

// @clerk/backend only parses a body as JSON when Content-Type is exactly
// "application/json" (no charset): Hono's c.json sets exactly that.
export function sendJson(c: Context, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return c.json(body, status as 200, headers);
}

/** Pieces of a large answer: under V8's large-object size, so neither end allocates a megabyte string. */
const PIECE_CHARS = 64 * 1024;

/**
 * A JSON array of already serialised elements, sent in pieces: a page of 500
 * users is a megabyte, and building it as one string cost the stand-in more
 * than everything else it does for the request. (Writing the pieces to the
 * socket as strings, past Hono, was tried: it cost both ends more CPU.)
 */
export function sendJsonArray(c: Context, status: number, elements: readonly string[]): Response {
  const encoder = new TextEncoder();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      let piece = next === 0 ? "[" : "";
      while (next < elements.length && piece.length < PIECE_CHARS) {
        piece += (next === 0 ? "" : ",") + elements[next];
        next++;
      }
      if (next >= elements.length) {
        controller.enqueue(encoder.encode(`${piece}]`));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(piece));
    },
  });
  return c.body(body, status as 200, { "Content-Type": "application/json" });
}

/** Clerk's `{ errors: [...] }` body for a StandInError; anything else is Clerk's 500. */
export function sendError(c: Context, error: unknown, headers: Record<string, string> = {}): Response {
  if (error instanceof StandInError) return sendJson(c, error.status, error.toClerkBody(), headers);
  const message = "Oops, an unexpected error occurred";
  const longMessage = error instanceof Error ? error.message : String(error);
  return sendJson(c, 500, clerkErrorBody("internal_clerk_error", message, longMessage), headers);
}

/** The peer's address as the socket reports it (the stand-in runs behind no proxy). */
export function remoteAddress(c: StandInContext): string {
  return c.env?.incoming?.socket.remoteAddress ?? "";
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
