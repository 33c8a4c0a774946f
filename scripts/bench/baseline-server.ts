/**
 * The baseline for `npm run bench:webhook`: a bare `node:http` server that does
 * exactly the webhook's work — svix verify, zod parse, the same Drizzle/SQLite
 * transaction — by calling the same `processClerkWebhook` the route calls, and
 * nothing else (no Express, no Remix, no Fetch API objects, no log line).
 * It is the practical ceiling for this stack; the app is measured against it.
 *
 *   node --import tsx scripts/bench/baseline-server.ts
 *
 * Reads DATABASE_URL, CLERK_WEBHOOK_SIGNING_SECRET, PORT and HOST (default
 * 127.0.0.1) like the app, and prints `[baseline] http://…` once listening.
 */
import { createServer, type IncomingMessage } from "node:http";
import { processClerkWebhook } from "~/webhook/handle-webhook.server";
import { MAX_WEBHOOK_BODY_BYTES, type SvixHeaders } from "~/webhook/verify-webhook.server";
import { closeDb, getDb } from "~/db/db.server";

function svixHeaders(request: IncomingMessage): SvixHeaders | null {
  const id = request.headers["svix-id"];
  const timestamp = request.headers["svix-timestamp"];
  const signature = request.headers["svix-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signature !== "string") return null;
  if (!id || !timestamp || !signature) return null;
  return { "svix-id": id, "svix-timestamp": timestamp, "svix-signature": signature };
}

getDb(); // migrations before the first request, as the app does at start-up

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_WEBHOOK_BODY_BYTES) chunks.push(chunk);
  });
  request.on("end", () => {
    let status: number;
    let body: Record<string, unknown>;
    if (size > MAX_WEBHOOK_BODY_BYTES) {
      [status, body] = [413, { error: "payload_too_large" }];
    } else {
      try {
        const result = processClerkWebhook(Buffer.concat(chunks, size).toString("utf8"), svixHeaders(request));
        [status, body] = [result.status, result.body];
      } catch {
        [status, body] = [503, { error: "temporarily_unavailable" }];
      }
    }
    const text = JSON.stringify(body);
    response.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  });
});

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? "127.0.0.1";
server.listen(port, host, () => {
  const address = server.address() as { port: number };
  console.log(`[baseline] http://${host}:${address.port}`);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => server.close(() => (closeDb(), process.exit(0))));
}
