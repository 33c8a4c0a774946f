import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { loopbackHostOnly, refuseMalformedHost } from "../src/guards.js";
import { sendError, type StandInEnv } from "../src/http-util.js";

/**
 * The DNS-rebinding guard on its own: a Host that is not a loopback name gets
 * Clerk's error shape with 421 and the Host it named, mounted on Node or not,
 * and a Host too malformed for a URL gets the same before any route runs.
 */

function guardedApp() {
  const app = new Hono<StandInEnv>();
  app.use(loopbackHostOnly());
  app.all("*", (c) => c.json({ passed: true }));
  app.onError((error, c) => sendError(c, error));
  return app;
}

const misdirected = (host: string) => ({
  code: "host_invalid",
  message: "Misdirected request",
  long_message: `The stand-in only answers requests addressed to a loopback host (localhost, *.localhost, 127.0.0.1, [::1]); this one was addressed to ${host}.`,
  meta: { param_name: "Host" },
});

async function send(host: string | null, bindings?: object) {
  const headers = host === null ? undefined : { host };
  const request = new Request("http://localhost/v1/users", { headers });
  const response = await guardedApp().request(request, undefined, bindings);
  return { status: response.status, body: (await response.json()) as any };
}

describe("a request addressed to a name that is not loopback is refused with 421", () => {
  it("names the Host it was addressed to", async () => {
    expect(await send("attacker.example:4010")).toEqual({
      status: 421,
      body: { errors: [misdirected('"attacker.example:4010"')], clerk_trace_id: expect.any(String) },
    });
  });

  it("says so when there is no Host at all", async () => {
    const { status, body } = await send(null);
    expect(status).toBe(421);
    expect(body.errors).toEqual([misdirected('""')]);
  });

  it("decides on the Host as Node received it, when the app is served by Node", async () => {
    const viaNode = { incoming: { headers: { host: "attacker.example" } } };
    expect((await send("localhost:4010", viaNode)).status).toBe(421);
    expect(await send("localhost:4010", { incoming: { headers: { host: "localhost:4010" } } })).toEqual({
      status: 200,
      body: { passed: true },
    });
  });

  it("decides on the request's Host when no Node request is at hand (app.request in a test)", async () => {
    for (const bindings of [undefined, {}]) {
      expect((await send("attacker.example", bindings)).status).toBe(421);
      expect((await send("127.0.0.1:4010", bindings)).status).toBe(200);
    }
  });
});

describe("a Host too malformed to build a URL of", () => {
  function fakeResponse() {
    const written: { status?: number; headers?: Record<string, string>; body?: string } = {};
    const res = {
      writeHead(status: number, headers: Record<string, string>) {
        Object.assign(written, { status, headers });
        return res;
      },
      end(body: string) {
        written.body = body;
        return res;
      },
    };
    return { res: res as unknown as ServerResponse, written };
  }
  const incoming = (host: string | undefined) => ({ headers: { host } }) as unknown as IncomingMessage;

  it("is answered 421 in JSON, and the request goes no further", () => {
    const { res, written } = fakeResponse();
    expect(refuseMalformedHost(incoming("localhost:4010/evil path"), res)).toBe(true);
    expect(written.status).toBe(421);
    expect(written.headers).toEqual({ "Content-Type": "application/json" });
    expect(JSON.parse(written.body!).errors).toEqual([misdirected('"localhost:4010/evil path"')]);
  });

  it("leaves a well-formed Host, loopback or not, to the routes' own guard", () => {
    for (const host of ["localhost:4010", "attacker.example"]) {
      const { res, written } = fakeResponse();
      expect(refuseMalformedHost(incoming(host), res)).toBe(false);
      expect(written).toEqual({});
    }
  });
});
