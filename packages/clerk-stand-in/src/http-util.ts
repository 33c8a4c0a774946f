import type { IncomingMessage, ServerResponse } from "node:http";
import { clerkErrorBody, StandInError } from "./errors.js";

const MAX_BODY_BYTES = 50 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new StandInError(413, "request_body_too_large", "Request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new StandInError(400, "malformed_request", "Request body is not valid JSON", "The request body could not be parsed as JSON.");
  }
}

// @clerk/backend only parses a body as JSON when Content-Type is exactly
// "application/json" (no charset), so no parameters are added here.
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown, headers: Record<string, string> = {}): void {
  if (error instanceof StandInError) {
    sendJson(res, error.status, error.toClerkBody(), headers);
    return;
  }
  const message = "Oops, an unexpected error occurred";
  const longMessage = error instanceof Error ? error.message : String(error);
  sendJson(res, 500, clerkErrorBody("internal_clerk_error", message, longMessage), headers);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
