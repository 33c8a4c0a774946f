import { describe, expect, it } from "vitest";
import { counts } from "../support/db";
import { clerkEvent, clerkUser, signBody, signedRequest } from "../support/clerk-webhooks";
import { deliver } from "../support/webhook-route";

const url = "http://localhost/api/webhooks/clerk";

describe("the webhook rejects what Svix did not sign, and writes nothing", () => {
  it("answers 400 when the Svix headers are missing", async () => {
    const before = counts();
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const { status, body: answer } = await deliver(new Request(url, { method: "POST", body }));
    expect(status).toBe(400);
    expect(answer).toEqual({ error: "missing_svix_headers" });
    expect(counts()).toEqual(before);
  });

  it("answers 400 when one byte of the signed body was changed", async () => {
    const before = counts();
    const body = JSON.stringify(clerkEvent("user.created", clerkUser({ first_name: "Grace" })));
    const headers = signBody(body);
    const tampered = body.replace("Grace", "Grack");
    const { status, body: answer } = await deliver(new Request(url, { method: "POST", headers, body: tampered }));
    expect(status).toBe(400);
    expect(answer.error).toBe("invalid_signature");
    expect(counts()).toEqual(before);
  });

  it("answers 400 when the signature comes from another secret", async () => {
    const before = counts();
    const request = signedRequest(clerkEvent("user.created", clerkUser()), {
      secret: "whsec_c29tZSBvdGhlciBlbmRwb2ludCdzIHNlY3JldA==",
    });
    const { status, body } = await deliver(request);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_signature");
    expect(counts()).toEqual(before);
  });

  it("answers 400 when the svix-id was swapped after signing", async () => {
    const before = counts();
    const body = JSON.stringify(clerkEvent("user.created", clerkUser()));
    const headers = { ...signBody(body), "svix-id": "msg_replayed_under_another_id" };
    const { status } = await deliver(new Request(url, { method: "POST", headers, body }));
    expect(status).toBe(400);
    expect(counts()).toEqual(before);
  });

  it.each([
    ["stale (10 minutes old)", -600],
    ["from the future (10 minutes ahead)", 600],
  ])("answers 400 for a correctly signed delivery whose timestamp is %s", async (_label, offset) => {
    const before = counts();
    const request = signedRequest(clerkEvent("user.created", clerkUser()), {
      timestamp: Math.floor(Date.now() / 1000) + offset,
    });
    const { status, body } = await deliver(request);
    expect(status).toBe(400);
    expect(body.error).toBe("timestamp_out_of_tolerance");
    expect(counts()).toEqual(before);
  });

  it("accepts a timestamp within Svix's five-minute tolerance", async () => {
    const request = signedRequest(clerkEvent("user.created", clerkUser()), {
      timestamp: Math.floor(Date.now() / 1000) - 240,
    });
    expect((await deliver(request)).status).toBe(200);
  });

  it("answers 405 to any method but POST", async () => {
    const before = counts();
    const { status, body } = await deliver(new Request(url, { method: "GET" }));
    expect(status).toBe(405);
    expect(body.error).toBe("method_not_allowed");
    expect(counts()).toEqual(before);
  });
});
