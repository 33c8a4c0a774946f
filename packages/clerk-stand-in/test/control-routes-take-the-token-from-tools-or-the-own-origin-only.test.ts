import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { controlGuard } from "../src/guards.js";
import { sendError, type StandInEnv } from "../src/http-util.js";

/**
 * The guard in front of the control routes and the testing sign-in, on its own:
 * which Origin is the stand-in's, which Authorization carries the token, which
 * bodies count as JSON, and the Clerk-shaped answer to each refusal.
 */

const TOKEN = "csi_3QmX9vTf0aLw7ZrK2pYd8NcE";
const PORT = 4321;

/** Built per request, as each stand-in builds its own. */
function guardedApp() {
  const app = new Hono<StandInEnv>();
  app.use(controlGuard({ token: TOKEN, port: PORT }));
  app.all("*", (c) => c.json({ passed: true }));
  app.onError((error, c) => sendError(c, error));
  return app;
}

async function send(headers: Record<string, string>, body?: BodyInit) {
  const request = new Request(`http://localhost:${PORT}/_control/reset`, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body,
    duplex: "half",
  } as RequestInit);
  const response = await guardedApp().request(request);
  return { status: response.status, body: (await response.json()) as any };
}

const withToken = (headers: Record<string, string> = {}) => ({ authorization: `Bearer ${TOKEN}`, ...headers });
const PASSED = { status: 200, body: { passed: true } };

describe("an Origin is the stand-in's own only over http, on a loopback name, on its port", () => {
  it.each([
    `http://localhost:${PORT}`,
    `http://127.0.0.1:${PORT}`,
    `http://[::1]:${PORT}`,
    `http://app.localhost:${PORT}`,
  ])("takes %s", async (origin) => {
    expect(await send(withToken({ origin }))).toEqual(PASSED);
  });

  it.each([
    ["https on the stand-in's port", `https://localhost:${PORT}`],
    ["another port", `http://localhost:${PORT + 1}`],
    ["no port (80)", "http://localhost"],
    ["a name that is not loopback", `http://evil.example:${PORT}`],
    ["an opaque origin", "null"],
  ])("refuses %s with 403 naming the Origin, even with the token", async (_case, origin) => {
    const { status, body } = await send(withToken({ origin }));
    expect(status).toBe(403);
    expect(body.errors).toEqual([
      {
        code: "origin_invalid",
        message: "Forbidden origin",
        long_message: `Requests from ${JSON.stringify(origin)} may not use the stand-in's control routes; only tools (no Origin) or the stand-in's own origin may.`,
        meta: { param_name: "Origin" },
      },
    ]);
  });

  it("takes a tool's request, which names no Origin", async () => {
    expect(await send(withToken())).toEqual(PASSED);
  });
});

describe("the per-run token comes as `Authorization: Bearer <token>` only", () => {
  const refusal = (longMessage: RegExp) => ({
    status: 401,
    body: {
      errors: [
        {
          code: "authentication_invalid",
          message: "Invalid authentication",
          long_message: expect.stringMatching(longMessage),
          meta: {},
        },
      ],
      clerk_trace_id: expect.any(String),
    },
  });

  it("says the token is needed when there is none", async () => {
    expect(await send({})).toEqual(refusal(/^The stand-in's control routes need its per-run token/));
  });

  it("refuses the token under another scheme, even one as long as `Bearer `", async () => {
    expect(await send({ authorization: `Digest ${TOKEN}` })).toEqual(refusal(/need its per-run token/));
    expect(await send({ authorization: TOKEN })).toEqual(refusal(/need its per-run token/));
  });

  it("says the token is not this stand-in's when it is wrong, whatever its length", async () => {
    expect(await send({ authorization: `Bearer ${TOKEN}x` })).toEqual(
      refusal(/^The control token is not this stand-in's/),
    );
    expect(await send({ authorization: "Bearer x" })).toEqual(refusal(/is not this stand-in's/));
  });

  it("takes the token with extra spaces after the scheme", async () => {
    expect(await send({ authorization: `Bearer   ${TOKEN}` })).toEqual(PASSED);
  });
});

describe("a body must be JSON", () => {
  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/json ; charset=utf-8",
    "application/merge-patch+json",
  ])("takes Content-Type: %s", async (type) => {
    expect(await send(withToken({ "content-type": type }), "{}")).toEqual(PASSED);
  });

  const unsupported = {
    status: 415,
    body: {
      errors: [
        {
          code: "unsupported_media_type",
          message: "Unsupported media type",
          long_message: "The stand-in's control routes take JSON bodies only (Content-Type: application/json).",
          meta: { param_name: "Content-Type" },
        },
      ],
      clerk_trace_id: expect.any(String),
    },
  };

  it("refuses a form or text body with 415", async () => {
    expect(await send(withToken({ "content-type": "text/plain" }), "{}")).toEqual(unsupported);
    expect(await send(withToken({ "content-type": "application/x-www-form-urlencoded" }), "a=1")).toEqual(unsupported);
  });

  it("refuses a body that names no type, whether its length is declared or it is chunked", async () => {
    const bytes = new TextEncoder().encode("{}");
    expect(await send(withToken({ "content-length": "2" }), bytes)).toEqual(unsupported);
    expect(await send(withToken({ "transfer-encoding": "chunked" }), bytes)).toEqual(unsupported);
  });

  it("refuses a declared type alone, and takes a request that declares an empty body and no type", async () => {
    expect(await send(withToken({ "content-type": "text/plain" }))).toEqual(unsupported);
    expect(await send(withToken({ "content-length": "0" }))).toEqual(PASSED);
  });
});
