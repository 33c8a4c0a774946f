import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { JsonArrayElements } from "./json-array-elements";

/**
 * `GET /v1/users` for the backfill, over node:http, each user handed on as
 * its part of the body arrives. Everything else in the app calls Clerk through
 * the SDK; this one request is the exception because of its size: a page is
 * 500 users, about a megabyte, a hundred times a second at Clerk's production
 * limit. Through the SDK (fetch, then `res.json()`) a page cost ~20 ms of CPU
 * on a 2-core machine, twice the 10 ms the rate limit leaves per page; here it
 * costs ~3 ms (docs/benchmarks.md).
 *
 * It sends what the SDK sends (the same URL, query casing, bearer key and
 * Clerk-API-Version; tests/tools/backfill-reads-pages-as-the-sdk-does.test.ts keeps
 * them equal) and turns an error answer into the SDK's error shape, so retries
 * and messages are decided in one place (`toClerkApiFailure`).
 */

/** The Backend API version the installed @clerk/backend sends (its SUPPORTED_BAPI_VERSION). */
export const CLERK_API_VERSION = "2025-11-10";

export interface ClerkApiAccess {
  secretKey: string;
  /** Backend API base URL, as `CLERK_API_URL` (default https://api.clerk.com). */
  apiUrl: string;
}

/** One error of Clerk's `{ errors: [...] }` body, with the SDK's casing. */
export interface ClerkErrorEntry {
  code: string;
  message: string;
  longMessage?: string;
  meta?: { paramName?: string };
}

/** A non-2xx answer, shaped as the SDK's ClerkAPIResponseError (`status`, `errors`, `retryAfter` in seconds). */
export class ClerkResponseError extends Error {
  override name = "ClerkResponseError";
  constructor(
    readonly status: number,
    readonly errors: ClerkErrorEntry[],
    readonly retryAfter: number | undefined,
  ) {
    super(errors[0]?.message ?? `HTTP ${status}`);
  }
}

/** What one page came back as: the users converted one by one, or the first that did not convert. */
export type ListedPage<T> = { users: T[]; invalid?: undefined } | { users?: undefined; invalid: unknown };

/** Bounds an error answer's body: Clerk's are a few hundred bytes. */
const MAX_ERROR_BODY = 64 * 1024;

export class ClerkUserListStream {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly inFlight = new Set<ClientRequest>();

  constructor(private readonly access: ClerkApiAccess) {
    this.base = new URL(access.apiUrl.endsWith("/") ? access.apiUrl : `${access.apiUrl}/`);
    const https = this.base.protocol === "https:";
    // Keep-alive sockets, as fetch keeps them: a new TLS handshake per page would cost more than the page.
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /**
   * One page. `convert` runs on each user as it arrives; the page's users come
   * back only once the whole answer is in, so a connection dropped half-way
   * yields an error and no users, never half a page.
   */
  page<T>(query: Record<string, string | number | undefined>, convert: (user: unknown) => T): Promise<ListedPage<T>> {
    const url = new URL("v1/users", this.base);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== "") url.searchParams.append(key, String(value));
    }
    return new Promise((resolve, reject) => {
      const req = this.request(
        url,
        {
          method: "GET",
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.access.secretKey}`,
            "Clerk-API-Version": CLERK_API_VERSION,
            "User-Agent": "clerk-sync (sync:all)",
            Accept: "application/json",
            // Real Clerk compresses: 1 MB pages are ~100 KB on the wire. zlib works off the main thread.
            "Accept-Encoding": "gzip, deflate, br",
          },
        },
        (res) => {
          const body = decoded(res);
          body.setEncoding("utf8");
          body.on("error", reject);
          if (res.statusCode !== 200 || !String(res.headers["content-type"] ?? "").startsWith("application/json")) {
            readErrorBody(body).then((text) => reject(errorFrom(res, text)), reject);
            return;
          }
          const users: T[] = [];
          let invalid: { error: unknown } | undefined;
          const elements = new JsonArrayElements((user) => {
            if (invalid) return;
            try {
              users.push(convert(user));
            } catch (error) {
              invalid = { error };
            }
          });
          body.on("data", (piece: string) => {
            try {
              elements.push(piece);
            } catch (error) {
              req.destroy(error as Error);
            }
          });
          body.on("end", () => {
            try {
              elements.end();
            } catch (error) {
              reject(error);
              return;
            }
            resolve(invalid ? { invalid: invalid.error } : { users });
          });
        },
      );
      req.on("error", reject);
      this.inFlight.add(req);
      req.on("close", () => this.inFlight.delete(req));
      req.end();
    });
  }

  /** The run is over: pages still asked for are abandoned (not even sent), and the sockets closed. */
  close(): void {
    for (const req of this.inFlight) req.destroy();
    this.agent.destroy();
  }
}

function decoded(res: IncomingMessage): NodeJS.ReadableStream & IncomingMessage {
  const encoding = String(res.headers["content-encoding"] ?? "identity").toLowerCase();
  const decoder =
    encoding === "gzip"
      ? createGunzip()
      : encoding === "deflate"
        ? createInflate()
        : encoding === "br"
          ? createBrotliDecompress()
          : null;
  if (!decoder) return res;
  res.on("error", (error) => decoder.destroy(error));
  return res.pipe(decoder) as unknown as NodeJS.ReadableStream & IncomingMessage;
}

function readErrorBody(body: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    body.on("data", (piece: string) => {
      if (text.length < MAX_ERROR_BODY) text += piece;
    });
    body.on("end", () => resolve(text));
    body.on("error", reject);
  });
}

/** The SDK's reading of an error answer: `errors` camel-cased, `Retry-After` as whole seconds. */
function errorFrom(res: IncomingMessage, text: string): ClerkResponseError {
  let errors: ClerkErrorEntry[] = [];
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      errors = parsed.errors.map((raw: Record<string, unknown>) => {
        const meta = raw.meta as Record<string, unknown> | undefined;
        return {
          code: String(raw.code ?? ""),
          message: String(raw.message ?? ""),
          longMessage: typeof raw.long_message === "string" ? raw.long_message : undefined,
          meta: meta ? { paramName: typeof meta.param_name === "string" ? meta.param_name : undefined } : undefined,
        };
      });
    }
  } catch {
    // Not Clerk's JSON (a proxy's HTML page): the status says enough.
  }
  const retryAfter = Number.parseInt(String(res.headers["retry-after"] ?? ""), 10);
  return new ClerkResponseError(res.statusCode ?? 0, errors, Number.isNaN(retryAfter) ? undefined : retryAfter);
}
