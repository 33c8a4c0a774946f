import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { frontendWritesFromTheAppOnly } from "../src/guards.js";
import { sendError, type StandInEnv } from "../src/http-util.js";

/**
 * The Frontend API's write guard on its own: reads pass whatever their headers
 * say; a write passes from the app's origin or from a tool that sends neither
 * Origin nor Sec-Fetch-Site, and is refused otherwise, saying why.
 */

const APP = "http://localhost:3000";

function guardedApp(allowsOrigin: (origin: string) => boolean = (origin) => origin === APP) {
  const app = new Hono<StandInEnv>();
  app.use(frontendWritesFromTheAppOnly(allowsOrigin));
  app.all("*", (c) => c.json({ passed: true }));
  app.onError((error, c) => sendError(c, error));
  return app;
}

async function send(method: string, headers: Record<string, string> = {}, app = guardedApp()) {
  const response = await app.request("http://localhost:4010/fapi/v1/client/sign_ins", { method, headers });
  return { status: response.status, body: (await response.json()) as any };
}

const PASSED = { status: 200, body: { passed: true } };
const ADD_ORIGIN =
  "An app on another origin is added with --app-origin, frontend.allowedOrigins or ClerkStandIn.allowOrigin().";
const forbidden = (longMessage: string, param: string) => ({
  status: 403,
  body: {
    errors: [
      { code: "origin_invalid", message: "Forbidden origin", long_message: longMessage, meta: { param_name: param } },
    ],
    clerk_trace_id: expect.any(String),
  },
});
const crossSite = forbidden(
  "The Frontend API takes writes from the app's own pages only; this one came from another site (Sec-Fetch-Site: cross-site).",
  "Sec-Fetch-Site",
);

describe("reads pass whatever they say about where they come from", () => {
  it.each(["GET", "OPTIONS"])("%s from another site passes", async (method) => {
    expect(await send(method, { origin: "https://evil.example", "sec-fetch-site": "cross-site" })).toEqual(PASSED);
  });

  it("HEAD from another site passes", async () => {
    const response = await guardedApp().request("http://localhost:4010/fapi/v1/client", {
      method: "HEAD",
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(response.status).toBe(200);
  });
});

describe("a write passes from the app's own origin or from a tool", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE"])("%s from the app's origin passes", async (method) => {
    expect(await send(method, { origin: APP, "sec-fetch-site": "same-site" })).toEqual(PASSED);
  });

  it("a write with neither Origin nor Sec-Fetch-Site (curl, a Node client) passes", async () => {
    expect(await send("POST")).toEqual(PASSED);
  });
});

describe("any other write is refused with 403, saying why", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE"])("%s marked cross-site, whatever its Origin", async (method) => {
    expect(await send(method, { origin: APP, "sec-fetch-site": "cross-site" })).toEqual(crossSite);
    expect(await send(method, { "sec-fetch-site": "Cross-Site" })).toEqual(crossSite);
  });

  it.each([
    ["without Sec-Fetch-Site", {}],
    ["marked same-site (another port on localhost)", { "sec-fetch-site": "same-site" }],
  ])("from a foreign Origin %s", async (_case, headers) => {
    expect(await send("POST", { origin: "http://localhost:4888", ...headers })).toEqual(
      forbidden(
        `The Frontend API takes writes from the app's own pages only; this one came from "http://localhost:4888". ${ADD_ORIGIN}`,
        "Origin",
      ),
    );
  });

  it("from a browser that names no Origin, without asking the allowed origins about it", async () => {
    const asked: unknown[] = [];
    const anyOrigin = guardedApp((origin) => {
      asked.push(origin);
      return true;
    });
    expect(await send("POST", { "sec-fetch-site": "same-origin" }, anyOrigin)).toEqual(
      forbidden(
        `The Frontend API takes writes from the app's own pages only, and a browser's write names its Origin; this one named none. ${ADD_ORIGIN}`,
        "Origin",
      ),
    );
    expect(asked).toEqual([]);
  });
});
