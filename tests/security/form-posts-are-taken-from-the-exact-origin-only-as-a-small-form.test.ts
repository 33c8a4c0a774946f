import { afterEach, describe, expect, it, vi } from "vitest";
import { forwardedOrigin, isSameOriginPost, ownOrigins, readSameOriginForm } from "~/same-origin.server";

/**
 * The profile action's forgery guard, called directly: what counts as the app's own
 * origin (exactly, never a prefix of it), what a browser that sends no Origin must
 * say, and the small urlencoded form it reads.
 */

const APP = "http://localhost:3000";
const FORM = "application/x-www-form-urlencoded";

function post(headers: Record<string, string> = {}, body?: BodyInit | null) {
  return new Request(`${APP}/profile`, { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a post is the app's own only when its Origin is exactly one of the app's origins", () => {
  it.each([
    ["a longer port that starts with the app's", "http://localhost:30001"],
    ["a host that starts with the app's origin", "http://localhost:3000.evil.example"],
    ["a shorter port the app's starts with", "http://localhost:300"],
    ["the app's origin with a path", "http://localhost:3000/profile"],
  ])("refuses %s", (_case, origin) => {
    expect(isSameOriginPost(post({ origin }), null)).toBe(false);
  });

  it("accepts the request's own origin, however the browser cased it", () => {
    expect(isSameOriginPost(post({ origin: APP }), null)).toBe(true);
    expect(isSameOriginPost(post({ origin: "HTTP://LOCALHOST:3000" }), null)).toBe(true);
  });

  it("accepts the configured public origin only when one is configured", () => {
    const origin = "https://clerk-sync.example.com";
    expect(isSameOriginPost(post({ origin }), origin)).toBe(true);
    expect(isSameOriginPost(post({ origin }), null)).toBe(false);
  });
});

describe("a post without Origin is taken only when the browser does not say it crossed sites", () => {
  it.each([
    ["same-site (another port on localhost is same-site, a foreign origin)", "same-site"],
    ["cross-site", "cross-site"],
  ])("refuses Sec-Fetch-Site: %s", (_case, site) => {
    expect(isSameOriginPost(post({ "sec-fetch-site": site }), null)).toBe(false);
  });

  it.each([
    ["same-origin", "same-origin"],
    ["none (the user's own navigation)", "none"],
  ])("accepts Sec-Fetch-Site: %s", (_case, site) => {
    expect(isSameOriginPost(post({ "sec-fetch-site": site }), null)).toBe(true);
  });

  it("accepts a request with neither header: a tool, not a browser carrying cookies", () => {
    expect(isSameOriginPost(post(), null)).toBe(true);
  });
});

describe("the origin a proxy or tunnel forwarded", () => {
  it("is none when no X-Forwarded-Host is sent, or an empty one", () => {
    expect(forwardedOrigin(post())).toBeNull();
    expect(forwardedOrigin(post({ "x-forwarded-host": "" }))).toBeNull();
  });

  it("takes the first host and the first protocol of a list, trimmed and lower-cased", () => {
    const request = post({
      "x-forwarded-host": "ABC123.ngrok.app , proxy.internal",
      "x-forwarded-proto": "https , http",
    });
    expect(forwardedOrigin(request)).toBe("https://abc123.ngrok.app");
  });

  it("takes the request's own protocol when no X-Forwarded-Proto says otherwise", () => {
    expect(forwardedOrigin(post({ "x-forwarded-host": "abc123.ngrok.app" }))).toBe("http://abc123.ngrok.app");
    const emptyProto = post({ "x-forwarded-host": "abc123.ngrok.app", "x-forwarded-proto": "" });
    expect(forwardedOrigin(emptyProto)).toBe("http://abc123.ngrok.app");
  });

  it("joins the request's own origin and the configured one, and nothing else", () => {
    expect(ownOrigins(post(), null)).toEqual(new Set([APP]));
    const forwarded = post({ "x-forwarded-host": "abc123.ngrok.app", "x-forwarded-proto": "https" });
    expect(ownOrigins(forwarded, "https://clerk-sync.example.com")).toEqual(
      new Set([APP, "https://abc123.ngrok.app", "https://clerk-sync.example.com"]),
    );
  });
});

describe("the form is read only as a small urlencoded form", () => {
  const sameOrigin = (type: string | null, body?: BodyInit | null) =>
    post({ origin: APP, ...(type === null ? {} : { "content-type": type }) }, body);

  it("takes the form's media type whatever its case and parameters", async () => {
    const read = await readSameOriginForm(sameOrigin("Application/X-WWW-Form-URLEncoded ; charset=UTF-8", "a=1"), null);
    expect(read).toMatchObject({ ok: true });
    expect(read.ok && read.form.get("a")).toBe("1");
  });

  it("answers 400 to a post with no body and no Content-Type, rather than failing", async () => {
    expect(await readSameOriginForm(sameOrigin(null), null)).toEqual({
      ok: false,
      status: 400,
      message: "This action takes a form post (application/x-www-form-urlencoded).",
    });
  });

  it("takes a form of exactly 16 KiB and answers 413 to one byte more", async () => {
    const form = (size: number) => `a=${"x".repeat(size - 2)}`;
    expect(await readSameOriginForm(sameOrigin(FORM, form(16 * 1024)), null)).toMatchObject({ ok: true });
    expect(await readSameOriginForm(sameOrigin(FORM, form(16 * 1024 + 1)), null)).toEqual({
      ok: false,
      status: 413,
      message: "The form is too large.",
    });
  });

  it("answers 400 when the sender goes away mid-form", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("a="));
        controller.error(new Error("socket hang up"));
      },
    });
    expect(await readSameOriginForm(sameOrigin(FORM, broken), null)).toEqual({
      ok: false,
      status: 400,
      message: "The form could not be read.",
    });
  });

  it("answers 408 when the form has not fully arrived 10 s after the request", async () => {
    vi.useFakeTimers();
    const never = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("a="));
      },
    });
    let answer: unknown;
    const reading = readSameOriginForm(sameOrigin(FORM, never), null).then((read) => (answer = read));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await reading;
    expect(answer).toEqual({ ok: false, status: 408, message: "The form took too long to arrive." });
  });
});
