import { PassThrough } from "node:stream";
import type { ActionFunctionArgs, EntryContext, HandleDataRequestFunction, LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { getDb, waitForLocksOffTheEventLoop } from "~/db/db.server";
import { ConfigError, getEnv } from "~/env.server";
import { describeError, log } from "~/logger.server";
import { NonceContext } from "~/nonce";
import { exitPromptlyOnStop } from "~/shutdown.server";
import { applySecurityHeaders, newNonce, PRIVATE_PAGE_CACHE_CONTROL } from "~/security-headers.server";

// Fail at start-up, not on the first request: a missing secret or key names
// itself here, and the committed migrations are applied before any traffic.
try {
  getEnv();
  waitForLocksOffTheEventLoop(getDb());
  exitPromptlyOnStop();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`\nclerk-sync cannot start: ${error.message}\nSee .env.example for every setting.\n`);
    process.exit(1);
  }
  throw error;
}

const ABORT_DELAY = 5_000;

/**
 * Remix calls this for every error it catches. A request for a page that does
 * not exist (crawlers, /apple-touch-icon.png) is one line, not a stack trace; an
 * unexpected error logs its stack, once, as one JSON line.
 */
export function handleError(error: unknown, { request }: LoaderFunctionArgs | ActionFunctionArgs) {
  if (request.signal.aborted) return;
  const { pathname } = new URL(request.url);
  if (isRouteErrorResponse(error)) {
    log.info("http_error_response", { method: request.method, path: pathname, status: error.status });
    return;
  }
  // Remix's deprecation notice for a legacy ?_data request (this app's pages use single
  // fetch, so it comes from an old tab or a probe), raised before the request is even
  // answered: nothing went wrong, and the answer is whatever the loader says.
  if (error instanceof Error && error.message.includes("should not be making ?_data requests")) {
    log.debug("legacy_data_request", { method: request.method, path: pathname });
    return;
  }
  // Remix's own check on document POSTs whose Origin names another host: it answers
  // 500 itself; a forgery attempt is worth one line, not a stack trace.
  if (error instanceof Error && /does not match `origin` header|compare the `origin` header/.test(error.message)) {
    log.warn("cross_origin_post_refused", { method: request.method, path: pathname });
    return;
  }
  log.error("unexpected_error", {
    method: request.method,
    path: pathname,
    error: describeError(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
}

/**
 * Every loader's data, whether a `?_data` or a single-fetch `.data` request: the
 * root loader's carries the session's Clerk state, the profile's an email and a
 * name, so none of it may be kept by a cache (pages get the same in applySecurityHeaders).
 * Remix hands this hook a Response of its own making, whose headers can be set.
 */
export const handleDataRequest: HandleDataRequestFunction = (response) => {
  response.headers.set("Cache-Control", PRIVATE_PAGE_CACHE_CONTROL);
  return response;
};

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
) {
  const waitForAll = isbot(request.headers.get("user-agent") ?? "");
  const nonce = newNonce();
  applySecurityHeaders(responseHeaders, request, nonce);
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors after the shell are already streaming; log them, don't leak them.
          if (shellRendered) handleError(error, { request, params: {}, context: {} });
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}
