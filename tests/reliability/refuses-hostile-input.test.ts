import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { clerkUserSchema } from "~/clerk/clerk-user";
import { clerkEvent, clerkUser, signBody } from "../support/clerk-webhooks";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";
import { appForThisFile, counts, keepAliveAgent, openForChecks, post, type Reply } from "./support";

/**
 * Property-based hostile input against the production server: over 1,000
 * generated cases. Nothing unauthenticated is ever accepted or written, bad
 * input never earns a 5xx, and a validly-signed invalid shape leaves only the
 * `failed` ledger row the webhook contract asks for.
 */

const served = appForThisFile("hostile");
const { databasePath } = served;
const agent = keepAliveAgent(8);
const MiB = 1024 * 1024;

afterAll(() => {
  agent.destroy();
});

const send = (body: string | Buffer, headers: Record<string, string>): Promise<Reply> =>
  post(served.app.url, body, headers, agent);
const nowSeconds = () => Math.floor(Date.now() / 1000);
let sequence = 0;
const freshSvixId = () => `msg_hostile_${++sequence}_${randomBytes(4).toString("hex")}`;

// Header values a client can put on the wire: visible ASCII (Node refuses control characters).
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });
// Every code point, lone surrogates included, and long runs of it.
const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc
    .tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20_000 }))
    .map(([s, n]) => s.repeat(n)),
);
const aValidUserEvent = fc
  .constantFrom("user.created", "user.updated")
  .map((type) => JSON.stringify(clerkEvent(type, clerkUser())));
const otherSecret = fc
  .uint8Array({ minLength: 16, maxLength: 64 })
  .map((bytes) => `whsec_${Buffer.from(bytes).toString("base64")}`)
  .filter((secret) => secret !== TEST_WEBHOOK_SECRET);

let totalCases = 0;
const runs = (numRuns: number) => {
  totalCases += numRuns;
  return { numRuns, endOnFailure: true };
};

function expectNothingWritten(before: { users: number; events: number }) {
  expect(counts(databasePath)).toEqual(before);
}

describe("hostile input (property-based, over 1,000 generated cases)", () => {
  it("refuses random bodies under random or missing Svix headers, and writes nothing", async () => {
    const before = counts(databasePath);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyText, aValidUserEvent, fc.json()),
        fc.option(headerText(200)),
        fc.option(fc.oneof(headerText(20), fc.integer().map(String), fc.constant(String(nowSeconds())))),
        fc.option(
          fc.oneof(
            headerText(300),
            fc.base64String({ maxLength: 88 }).map((s) => `v1,${s}`),
          ),
        ),
        async (body, id, timestamp, signature) => {
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (id !== null) headers["svix-id"] = id;
          if (timestamp !== null) headers["svix-timestamp"] = timestamp;
          if (signature !== null) headers["svix-signature"] = signature;
          const reply = await send(body, headers);
          expect(reply.status).toBe(400);
        },
      ),
      runs(300),
    );
    expectNothingWritten(before);
  });

  it("refuses deliveries signed with any other secret", async () => {
    const before = counts(databasePath);
    await fc.assert(
      fc.asyncProperty(aValidUserEvent, otherSecret, async (body, secret) => {
        const reply = await send(body, signBody(body, { secret }));
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body)).toEqual({ error: "invalid_signature" });
      }),
      runs(150),
    );
    expectNothingWritten(before);
  });

  it("refuses correctly signed deliveries whose timestamp is too old, too new or not a number", async () => {
    const before = counts(databasePath);
    // 302, not 301: the server reads its clock a moment after this one, maybe in the next second, and a
    // timestamp exactly 300 s ahead of that is within Svix's tolerance.
    const skew = fc.oneof(
      fc.integer({ min: 302, max: 20 * 365 * 86_400 }),
      fc.integer({ min: -20 * 365 * 86_400, max: -302 }),
    );
    await fc.assert(
      fc.asyncProperty(aValidUserEvent, skew, fc.boolean(), async (body, seconds, garbled) => {
        const headers = signBody(body, { timestamp: nowSeconds() - seconds });
        if (garbled) headers["svix-timestamp"] = `${headers["svix-timestamp"]}x`.replace(/^\d/, "x");
        const reply = await send(body, headers);
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body).error).toMatch(/^(timestamp_out_of_tolerance|invalid_signature)$/);
      }),
      runs(150),
    );
    expectNothingWritten(before);
  });

  it("refuses a body that is not the one signed: truncated, extended or altered", async () => {
    const before = counts(databasePath);
    await fc.assert(
      fc.asyncProperty(
        aValidUserEvent,
        fc.nat(),
        fc.constantFrom("truncate", "append", "alter"),
        async (body, at, how) => {
          const cut = at % body.length;
          const sent =
            how === "truncate"
              ? body.slice(0, cut)
              : how === "append"
                ? `${body} `
                : `${body.slice(0, cut)}${body[cut] === "1" ? "2" : "1"}${body.slice(cut + 1)}`;
          const reply = await send(sent, signBody(body));
          expect(reply.status).toBe(400);
        },
      ),
      runs(150),
    );
    expectNothingWritten(before);
  });

  it("answers 413 to an oversized body, signed or not, and writes nothing", async () => {
    const before = counts(databasePath);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: MiB + 1, max: 3 * MiB }), fc.boolean(), async (size, signed) => {
        const body = Buffer.alloc(size, "a").toString();
        const reply = await send(body, signed ? signBody(body) : { "content-type": "application/json" });
        expect(reply.status).toBe(413);
      }),
      runs(5),
    );
    expectNothingWritten(before);
  });

  it("answers 400 to validly-signed invalid shapes and keeps only a `failed` ledger row for each", async () => {
    const before = counts(databasePath);
    const notJson = anyText.filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });
    const notAnEvent = fc
      .jsonValue()
      .filter(
        (v) =>
          !(
            v &&
            typeof v === "object" &&
            !Array.isArray(v) &&
            typeof (v as { type?: unknown }).type === "string" &&
            (v as { type: string }).type !== ""
          ),
      );
    const badUserData = fc
      .oneof(
        fc.jsonValue(),
        fc.record({ id: fc.oneof(fc.constant(""), fc.integer(), fc.constant(null)), created_at: fc.jsonValue() }),
        fc.constant(clerkUser({ updated_at: -1 })),
        fc.constant(clerkUser({ created_at: "yesterday" })),
      )
      .filter((data) => !clerkUserSchema.safeParse(data).success);
    const badUserEvent = fc
      .tuple(fc.constantFrom("user.created", "user.updated"), badUserData)
      .map(([type, data]) => JSON.stringify(clerkEvent(type, data)));
    const badDeletion = fc
      .oneof(fc.integer(), fc.string(), fc.record({ id: fc.oneof(fc.integer(), fc.constant(""), fc.boolean()) }))
      .map((data) => JSON.stringify(clerkEvent("user.deleted", data)));
    const truncatedEvent = aValidUserEvent.chain((body) =>
      fc.integer({ min: 1, max: body.length - 1 }).map((n) => body.slice(0, n)),
    );
    const shapes = fc.oneof(
      notJson,
      notAnEvent.map((v) => JSON.stringify(v)),
      badUserEvent,
      badDeletion,
      truncatedEvent,
      fc.constant(""),
    );

    let failedRows = 0;
    await fc.assert(
      fc.asyncProperty(shapes, async (body) => {
        const svixId = freshSvixId();
        const reply = await send(body, signBody(body, { svixId }));
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body).error).toBe("invalid_payload");
        const db = openForChecks(databasePath);
        const row = db.prepare("select status, outcome from webhook_events where svix_id = ?").get(svixId);
        db.close();
        expect(row).toEqual({ status: "failed", outcome: "invalid_payload" });
        failedRows++;
      }),
      runs(200),
    );
    expect(counts(databasePath)).toEqual({ users: before.users, events: before.events + failedRows });
  });

  it("stores unicode and huge strings in every field exactly as Clerk sent them", async () => {
    const before = counts(databasePath);
    // Well-formed unicode (lone surrogates cannot be stored as UTF-8 and Clerk never sends them).
    const text = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 100 }),
      fc
        .tuple(fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 2_000 }))
        .map(([s, n]) => s.repeat(n)),
    );
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(text, text, text, text, text, text, text),
        async ([id, emailId, email, first, last, username, image]) => {
          const user = clerkUser({
            id: `user_${++sequence}_${id}`,
            primary_email_address_id: emailId,
            email_addresses: [{ object: "email_address", id: emailId, email_address: email }],
            first_name: first,
            last_name: last,
            username,
            image_url: image,
          });
          const body = JSON.stringify(clerkEvent("user.created", user));
          const reply = await send(body, signBody(body));
          if (Buffer.byteLength(body) > MiB) {
            expect(reply.status).toBe(413);
            return;
          }
          expect(reply.status).toBe(200);
          accepted++;
          const db = openForChecks(databasePath);
          const row = db
            .prepare("select email, first_name, last_name, username, image_url from users where clerk_id = ?")
            .get(user.id);
          db.close();
          expect(row).toEqual({ email, first_name: first, last_name: last, username, image_url: image });
        },
      ),
      runs(150),
    );
    expect(counts(databasePath)).toEqual({ users: before.users + accepted, events: before.events + accepted });
  });

  it("ran over 1,000 generated cases with no 5xx anywhere", () => {
    expect(totalCases).toBeGreaterThanOrEqual(1_000);
    expect(served.app.output()).not.toMatch(/clerk_webhook_error|" 5\d\d /);
  });
});
