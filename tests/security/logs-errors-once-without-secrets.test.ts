import { afterEach, describe, expect, it, vi } from "vitest";
import { UNSAFE_ErrorResponseImpl as ErrorResponseImpl } from "@remix-run/router";
import { handleError } from "~/entry.server";

/** Everything the logger writes while `run` runs, as lines. */
function logged(run: () => void): string[] {
  const previous = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug";
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  };
  const out = vi.spyOn(process.stdout, "write").mockImplementation(capture);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(capture);
  const con = vi.spyOn(console, "error").mockImplementation((...args) => void lines.push(args.join(" ")));
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
    con.mockRestore();
    process.env.LOG_LEVEL = previous;
  }
  return lines;
}

const args = (url: string, method = "GET") => ({ request: new Request(url, { method }), params: {}, context: {} });

afterEach(() => vi.restoreAllMocks());

describe("Remix's error hook logs one JSON line per error", () => {
  it("a route that does not exist (Remix's internal 404) is one line without a stack", () => {
    // What Remix hands the hook when no route matches: a 404 carrying an internal Error with a stack.
    const notFound = new ErrorResponseImpl(404, "Not Found", new Error('No route matches URL "/favicon.ico"'), true);
    const lines = logged(() => handleError(notFound, args("http://localhost/favicon.ico?email=a@b.example")));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ event: "http_error_response", status: 404, path: "/favicon.ico" });
    expect(lines[0]).not.toContain("a@b.example");
    expect(lines[0]).not.toContain("No route matches");
  });

  it("an unexpected error logs its stack once, in one line, without the query string", () => {
    const error = new Error("the disk is unhappy");
    const lines = logged(() => handleError(error, args("http://localhost/profile?token=sk_live_leak", "POST")));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: "error",
      event: "unexpected_error",
      path: "/profile",
      error: "Error: the disk is unhappy",
    });
    expect(line.stack).toContain("logs-errors-once-without-secrets.test.ts");
    expect(lines[0]).not.toContain("sk_live_leak");
  });

  it("Remix's notice about a legacy ?_data request is one debug line, without a stack", () => {
    // What Remix 2 hands the hook for every ?_data request once single fetch is on.
    const notice = new Error(
      "Warning: Single fetch-enabled apps should not be making ?_data requests, this is likely to break in the future",
    );
    const lines = logged(() => handleError(notice, args("http://localhost/profile?_data=routes%2Fprofile")));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      time: expect.any(String),
      level: "debug",
      event: "legacy_data_request",
      method: "GET",
      path: "/profile",
    });
  });

  it("a request the client gave up on logs nothing", () => {
    const controller = new AbortController();
    controller.abort();
    const request = new Request("http://localhost/", { signal: controller.signal });
    expect(logged(() => handleError(new Error("aborted"), { request, params: {}, context: {} }))).toEqual([]);
  });
});
