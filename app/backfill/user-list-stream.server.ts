import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { clerkApiVersionOfSdk } from "~/clerk/clerk-api.server";
import { ElementTooLong, JsonArrayElements } from "./json-array-elements";
import { clerkAnswerMalformed, ClerkError, clerkErrorFromBody } from "~/clerk/clerk-errors.server";

/**
 * `GET /v1/users` for the backfill, over node:http, each user handed on as
 * its part of the body arrives. Everything else in the app calls Clerk through
 * the SDK; this one request is the exception because of its size: a page is
 * 500 users, about a megabyte, a hundred times a second at Clerk's production
 * limit. Read this way, never held as one string, a run at a million users
 * takes a third less CPU and less memory than with `fetch` and `res.json()`
 * (docs/benchmarks.md, "The page reader"). The backfill's count goes through
 * here too, so that every request of a run is bounded and can be aborted,
 * which fetch in the SDK is not.
 *
 * It sends what the SDK sends (the same URL, query casing, bearer key, and the
 * Clerk-API-Version the installed SDK sends, asked of it at start:
 * `clerkApiVersionOfSdk`; tests/tools/backfill-reads-pages-as-the-sdk-does.test.ts
 * keeps them equal) and classifies an error answer as the SDK's would be
 * (`clerkErrorFromBody`), so retries and messages are decided in one place.
 * It trusts no answer's size: tests/tools/backfill-survives-a-hostile-clerk.test.ts.
 */

export interface ClerkApiAccess {
  secretKey: string;
  /** Backend API base URL, as `CLERK_API_URL` (default https://api.clerk.com). */
  apiUrl: string;
}

/** What one page came back as: the users converted one by one, or the first that did not convert. */
export type ListedPage<T> = { users: T[]; invalid?: undefined } | { users?: undefined; invalid: unknown };

/**
 * The most one page's body may be, decompressed. A real page of 500 users is about a megabyte; this leaves room
 * for users 30 times the usual size. It is not what bounds memory (the body is parsed as it arrives and never
 * kept): it ends a body that never ends, or that pads itself with whitespace forever.
 */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;
/**
 * The most one user's JSON may be. An element is held whole until its end arrives, so this is what a page in
 * flight can hold: ranges read at once × this stays well inside the backfill's memory. Clerk limits metadata to
 * 8 KB (clerk.com/docs/guides/users/extending), so a real user is a few KB; a megabyte is not a user.
 */
export const MAX_USER_BYTES = 1024 * 1024;
/** Bounds an error answer's body and the count's: Clerk's are a few hundred bytes. */
const MAX_SMALL_BODY = 64 * 1024;

const MiB = 1024 * 1024;

type Query = Record<string, string | number | readonly string[] | undefined>;

/** The largest page Clerk's `GET /v1/users` allows. */
export const CLERK_MAX_PAGE_SIZE = 500;

export interface RequestOptions {
  /** Aborting it (a timeout, the end of the run) destroys the request and its socket. */
  signal?: AbortSignal;
}

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
   * One page of `GET /v1/users`. `convert` runs on each user as it arrives; the
   * page's users come back only once the whole answer is in, so a connection
   * dropped half-way yields an error and no users, never half a page.
   */
  page<T>(query: Query, convert: (user: unknown) => T, options: RequestOptions = {}): Promise<ListedPage<T>> {
    // Clerk sends at most `limit` users; more is an answer that may never end.
    const limit = Number(query.limit);
    const maxUsers = Number.isInteger(limit) && limit > 0 ? Math.min(limit, CLERK_MAX_PAGE_SIZE) : CLERK_MAX_PAGE_SIZE;
    return this.get("v1/users", query, options.signal, (body, stop) => readUsers(body, stop, convert, maxUsers));
  }

  /** `GET /v1/users/count`, as `users.getCount()` sends it. */
  count(options: RequestOptions = {}): Promise<number> {
    return this.get("v1/users/count", {}, options.signal, async (body, stop) => {
      const text = await readSmallBody(body, stop);
      let count: unknown;
      try {
        count = (JSON.parse(text ?? "") as { total_count?: unknown }).total_count;
      } catch {
        // Reported below, with the other shapes that are not a count.
      }
      if (text === null || typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
        throw clerkAnswerMalformed("Clerk's answer to /v1/users/count is not a count of users.");
      }
      return count;
    });
  }

  /** The run is over: requests still out are abandoned, and the sockets closed. */
  close(): void {
    for (const req of this.inFlight) req.destroy();
    this.agent.destroy();
  }

  /**
   * One GET that settles exactly once: with what `read` makes of a 200 JSON body,
   * or with an error. On any error but a complete error answer (a 429, a 422) the
   * request is destroyed at once (nothing more is read for it, its socket is not
   * reused), whether or not Clerk goes on sending.
   */
  private async get<R>(
    path: string,
    query: Query,
    signal: AbortSignal | undefined,
    read: (body: Readable, stop: () => boolean) => Promise<R>,
  ): Promise<R> {
    const apiVersion = await clerkApiVersionOfSdk();
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(query)) {
      for (const one of Array.isArray(value) ? value : [value]) {
        if (one !== undefined && one !== "") url.searchParams.append(key, String(one));
      }
    }
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let settled = false;
      let closed = false;
      let body: Readable | undefined;
      /** `answered`: the answer was read to its end, so its socket can serve the next request. */
      const finish = (error: unknown, value?: R, answered = error === undefined) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        if (answered) {
          if (error === undefined) resolve(value as R);
          else reject(error);
          return;
        }
        // Without an error: one given to destroy() would be emitted on a socket nobody listens to any more.
        body?.destroy();
        req.destroy();
        // Once the socket is closed: a run that ends on this error then has nothing left out.
        if (closed) reject(error);
        else req.once("close", () => reject(error));
      };
      const onAbort = () => finish(signal?.reason ?? new Error("The request was abandoned."));
      const req = this.request(
        url,
        {
          method: "GET",
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.access.secretKey}`,
            "Clerk-API-Version": apiVersion,
            "User-Agent": "clerk-sync (sync:all)",
            Accept: "application/json",
            // Real Clerk compresses: 1 MB pages are ~100 KB on the wire. zlib works off the main thread.
            "Accept-Encoding": "gzip, deflate, br",
          },
        },
        (res) => {
          const decodedBody = decoded(res);
          body = decodedBody;
          decodedBody.on("error", (error) => finish(error));
          res.on("error", (error) => finish(error));
          // A connection cut before the end of the answer; with a decoder, its own 'end' or 'error' follows.
          res.on("close", () => {
            if (!res.complete) finish(new Error("The connection closed before Clerk's answer was complete."));
          });
          const stop = () => settled;
          const contentType = String(res.headers["content-type"] ?? "");
          if (res.statusCode !== 200) {
            // A 429 or a lost cursor is an answer like any other: read whole, its socket is kept.
            readSmallBody(decodedBody, stop).then(
              (text) => finish(errorFrom(res, text ?? ""), undefined, text !== null),
              finish,
            );
          } else if (!contentType.startsWith("application/json")) {
            finish(clerkAnswerMalformed(`Clerk answered ${path} with ${contentType || "no content type"}, not JSON.`));
          } else {
            read(decodedBody, stop).then((value) => finish(undefined, value), finish);
          }
        },
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => finish(error));
      this.inFlight.add(req);
      req.on("close", () => {
        closed = true;
        this.inFlight.delete(req);
        // Destroyed before an answer came (close()): settle, or the caller would wait for ever.
        if (!body) finish(new Error("The request was closed before Clerk answered."));
      });
      req.end();
    });
  }
}

function decoded(res: IncomingMessage): Readable {
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
  return res.pipe(decoder);
}

/** The body as text, or null past MAX_SMALL_BODY (then reading stops there). */
function readSmallBody(body: Readable, stop: () => boolean): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    let text = "";
    let bytes = 0;
    body.on("data", (chunk: Buffer) => {
      if (stop()) return;
      bytes += chunk.length;
      if (bytes > MAX_SMALL_BODY) resolve(null);
      else text += decoder.write(chunk);
    });
    body.on("end", () => resolve(text + decoder.end()));
    body.on("error", reject);
  });
}

/** The users of a 200 answer, converted as they arrive; malformed beyond `maxUsers` users or MAX_PAGE_BYTES. */
function readUsers<T>(
  body: Readable,
  stop: () => boolean,
  convert: (user: unknown) => T,
  maxUsers: number,
): Promise<ListedPage<T>> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    const users: T[] = [];
    let count = 0;
    let bytes = 0;
    let invalid: { error: unknown } | undefined;
    const elements = new JsonArrayElements(
      (user) => {
        if (++count > maxUsers) throw clerkAnswerMalformed(`Clerk sent more than ${maxUsers} users in one page.`);
        if (invalid) return;
        try {
          users.push(convert(user));
        } catch (error) {
          invalid = { error };
        }
      },
      { maxElementLength: MAX_USER_BYTES },
    );
    // The parser's own words may quote the body (a user's data): only the kind of fault is told.
    const malformed = (error: unknown) =>
      error instanceof ClerkError
        ? error
        : error instanceof ElementTooLong
          ? clerkAnswerMalformed(`Clerk sent a user over ${MAX_USER_BYTES / MiB} MiB of JSON: not a user.`)
          : clerkAnswerMalformed("Clerk sent a page of users that is not valid JSON.");
    body.on("data", (chunk: Buffer) => {
      if (stop()) return;
      bytes += chunk.length;
      try {
        if (bytes > MAX_PAGE_BYTES) {
          throw clerkAnswerMalformed(`Clerk sent a page of users over ${MAX_PAGE_BYTES / MiB} MiB: not a page.`);
        }
        elements.push(decoder.write(chunk));
      } catch (error) {
        reject(malformed(error));
      }
    });
    body.on("end", () => {
      if (stop()) return;
      try {
        elements.push(decoder.end());
        elements.end();
      } catch (error) {
        reject(malformed(error));
        return;
      }
      resolve(invalid ? { invalid: invalid.error } : { users });
    });
    body.on("error", reject);
  });
}

function errorFrom(res: IncomingMessage, text: string): ClerkError {
  const retryAfter = res.headers["retry-after"];
  return clerkErrorFromBody(res.statusCode ?? 0, text, typeof retryAfter === "string" ? retryAfter : null);
}
