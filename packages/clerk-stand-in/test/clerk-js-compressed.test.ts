import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clerkJsDistDir } from "../src/frontend-api/clerk-js.js";
import { startClerkStandIn, type ClerkStandIn } from "../src/index.js";

/** clerk-js as a CDN would serve it: compressed by Accept-Encoding, cached by name, revalidated by ETag. */

let standIn: ClerkStandIn;
const entry = readFileSync(join(clerkJsDistDir(), "clerk.browser.js"));
const chunkName = readdirSync(clerkJsDistDir()).find((name) =>
  /^ui-common_clerk\.browser_[0-9a-f]+_[\d.]+\.js$/.test(name),
)!;

beforeAll(async () => {
  standIn = await startClerkStandIn();
});
afterAll(() => standIn.close());

/** node:http, which (unlike fetch) hands back the bytes as sent. */
function get(path: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
    (resolve, reject) => {
      const req = httpRequest(`${standIn.url}${path}`, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on("error", reject);
      req.end();
    },
  );
}

describe("clerk-js over HTTP", () => {
  it("is brotli-compressed for a browser that takes br, byte for byte the installed file once decoded", async () => {
    const response = await get("/clerk-js/clerk.browser.js", { "accept-encoding": "gzip, deflate, br, zstd" });
    expect(response.status).toBe(200);
    expect(response.headers["content-encoding"]).toBe("br");
    expect(response.headers.vary).toBe("Accept-Encoding");
    expect(Number(response.headers["content-length"])).toBe(response.body.length);
    expect(response.body.length).toBeLessThan(entry.length / 3);
    expect(brotliDecompressSync(response.body).equals(entry)).toBe(true);
  });

  it("is gzip for a client without brotli (or refusing it with q=0), and as is for one that takes neither", async () => {
    for (const accept of ["gzip, deflate", "br;q=0, gzip"]) {
      const response = await get("/clerk-js/clerk.browser.js", { "accept-encoding": accept });
      expect(response.headers["content-encoding"], accept).toBe("gzip");
      expect(gunzipSync(response.body).equals(entry)).toBe(true);
    }
    for (const accept of [undefined, "identity"]) {
      const response = await get("/clerk-js/clerk.browser.js", accept ? { "accept-encoding": accept } : {});
      expect(response.headers["content-encoding"]).toBeUndefined();
      expect(response.body.equals(entry)).toBe(true);
    }
  });

  it("lets browsers keep versioned chunks for a year and revalidate the entry script by ETag", async () => {
    const chunk = await get(`/clerk-js/${chunkName}`, { "accept-encoding": "br" });
    expect(chunk.status).toBe(200);
    expect(chunk.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const script = await get("/clerk-js/clerk.browser.js", { "accept-encoding": "br" });
    expect(script.headers["cache-control"]).toBe("public, no-cache");
    const etag = String(script.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{32}-br"$/);

    const revalidated = await get("/clerk-js/clerk.browser.js", { "accept-encoding": "br", "if-none-match": etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    expect(revalidated.headers.etag).toBe(etag);
    const changed = await get("/clerk-js/clerk.browser.js", { "accept-encoding": "br", "if-none-match": '"0000"' });
    expect(changed.status).toBe(200);
  });

  it("answers HEAD with the headers of GET and no body, and 404 outside dist/", async () => {
    const head = await get("/clerk-js/clerk.browser.js", { "accept-encoding": "gzip" }, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-encoding"]).toBe("gzip");
    expect(head.body.length).toBe(0);
    for (const path of ["/clerk-js/..%2Fpackage.json", "/clerk-js/nothing-here.js"]) {
      const missing = await get(path);
      expect(missing.status, path).toBe(404);
      expect(JSON.parse(missing.body.toString()).errors[0].code).toBe("resource_not_found");
    }
  });
});
