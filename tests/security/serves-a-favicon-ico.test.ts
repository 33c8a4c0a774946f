import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, startBuiltApp, type RunningApp } from "../support/app-server";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

let app: RunningApp;

beforeAll(async () => {
  app = await startBuiltApp({
    DATABASE_URL: `${process.env.DATABASE_URL}-favicon`,
    CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
    CLERK_PUBLISHABLE_KEY: process.env.CLERK_PUBLISHABLE_KEY,
    CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY,
  });
});
afterAll(async () => {
  await app?.stop();
});

// Browsers and crawlers ask for /favicon.ico whatever the page links to.
it("answers GET /favicon.ico with the icon in public/, as an image", async () => {
  const response = await fetch(`${app.url}/favicon.ico`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)$/);
  const body = Buffer.from(await response.arrayBuffer());
  expect(body.equals(readFileSync(join(ROOT, "public", "favicon.ico")))).toBe(true);
  // An ICO directory (reserved 0, type 1 = icon) holding the 16×16 and 32×32 images.
  expect([body.readUInt16LE(0), body.readUInt16LE(2), body.readUInt16LE(4)]).toEqual([0, 1, 2]);
  expect([body[6], body[22]]).toEqual([16, 32]);
});
