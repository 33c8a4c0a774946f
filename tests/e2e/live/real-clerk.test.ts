import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { clerk, setupClerkTestingToken } from "@clerk/testing/playwright";
import { E2E_STATE_FILE } from "../support/world";

// Runs only with `npm run test:e2e:live` and a real Clerk development instance:
// CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY, E2E_CLERK_USER_EMAIL, E2E_CLERK_USER_PASSWORD.
const state = JSON.parse(readFileSync(E2E_STATE_FILE, "utf8")) as { appUrl?: string; liveSkipReason?: string };

test.skip(
  !!state.liveSkipReason || !process.env.E2E_LIVE,
  `live Clerk tests skipped: ${state.liveSkipReason ?? "run them with npm run test:e2e:live"}`,
);

test("a real Clerk user signs in, sees their profile, and syncs it from Clerk's Backend API", async ({ page }) => {
  await setupClerkTestingToken({ page });
  await page.goto(`${state.appUrl}/`);
  await clerk.signIn({
    page,
    signInParams: {
      strategy: "password",
      identifier: process.env.E2E_CLERK_USER_EMAIL!,
      password: process.env.E2E_CLERK_USER_PASSWORD!,
    },
  });
  await page.goto(`${state.appUrl}/profile`);
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await page.getByRole("button", { name: "Sync User Data" }).click();
  await expect(page.getByRole("status")).toHaveText(/imported|updated|up to date/i);
  await expect(page.locator('[data-field="email"]')).toHaveText(process.env.E2E_CLERK_USER_EMAIL!);
});
