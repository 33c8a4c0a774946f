import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  receivedAt: number;
  headers: IncomingHttpHeaders;
  svixId: string;
  rawBody: string;
  answeredStatus: number;
}

/**
 * A local endpoint standing in for the app's webhook route: records every
 * request as received (raw body, headers, arrival time) and answers with the
 * status the test chooses per request.
 */
export async function startWebhookReceiver(answer: (request: { svixId: string; index: number }) => number = () => 204) {
  const received: ReceivedWebhook[] = [];
  const listeners = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => record(req, res, chunks));
  });
  const record = (req: IncomingMessage, res: ServerResponse, chunks: Buffer[]) => {
    const svixId = String(req.headers["svix-id"] ?? "");
    const status = answer({ svixId, index: received.length });
    received.push({
      receivedAt: Date.now(),
      headers: req.headers,
      svixId,
      rawBody: Buffer.concat(chunks).toString("utf8"),
      answeredStatus: status,
    });
    res.writeHead(status).end();
    for (const listener of listeners) listener();
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/clerk`;
  return {
    url,
    received,
    /** Resolves once at least `count` requests have arrived. */
    waitForCount(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => {
        const check = () => {
          if (received.length >= count) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
