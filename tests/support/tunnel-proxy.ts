import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local reverse proxy that behaves like an ngrok tunnel: the app sees the
 * tunnel's public Host and X-Forwarded-Host/-Proto/-For, while the bytes (and
 * so the Svix signature) pass through untouched.
 */

export interface ForwardedRequest {
  method: string;
  path: string;
  svixId: string | null;
  /** The Host header the app received. */
  host: string;
  status: number;
}

export interface TunnelProxy {
  url: string;
  publicHost: string;
  forwarded: ForwardedRequest[];
  close(): Promise<void>;
}

export async function startTunnelProxy(
  target: string,
  publicHost = "clerk-sync-e2e.ngrok-free.app",
): Promise<TunnelProxy> {
  const upstream = new URL(target);
  const forwarded: ForwardedRequest[] = [];
  let failNext = 0;
  const server: Server = createServer((req, res) => {
    // The test's window into the tunnel, like ngrok's inspector at :4040.
    if (req.url === "/__tunnel/requests") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(forwarded));
      return;
    }
    // Simulates the agent being offline: ngrok then answers 502 without reaching the app.
    if (req.url?.startsWith("/__tunnel/fail-next")) {
      failNext = req.method === "DELETE" ? 0 : Number(new URL(req.url, "http://x").searchParams.get("count") ?? 1);
      res.writeHead(204).end();
      return;
    }
    if (failNext > 0) {
      failNext--;
      const svixId = (req.headers["svix-id"] as string | undefined) ?? null;
      forwarded.push({ method: req.method ?? "GET", path: req.url ?? "/", svixId, host: publicHost, status: 502 });
      req.resume();
      res.writeHead(502, { "content-type": "text/plain", "ngrok-error-code": "ERR_NGROK_3200" }).end("tunnel offline");
      return;
    }
    const headers = {
      ...req.headers,
      host: publicHost,
      "x-forwarded-host": publicHost,
      "x-forwarded-proto": "https",
      "x-forwarded-for": req.socket.remoteAddress ?? "127.0.0.1",
    };
    const proxied = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
      (upstreamRes) => {
        forwarded.push({
          method: req.method ?? "GET",
          path: req.url ?? "/",
          svixId: (req.headers["svix-id"] as string | undefined) ?? null,
          host: headers.host,
          status: upstreamRes.statusCode ?? 0,
        });
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    proxied.on("error", () => {
      res.writeHead(502).end("tunnel: upstream unreachable");
    });
    req.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publicHost,
    forwarded,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
