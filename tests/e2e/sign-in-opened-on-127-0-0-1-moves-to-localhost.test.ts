import { expect, test } from "@playwright/test";
import { collectConsoleErrors, expectProfileToShow, signInWithClerkForm } from "./support/pages";
import { createUser, waitForDeliveries, world } from "./support/world";

/**
 * remix-serve prints http://127.0.0.1:<port>, while the stand-in serves the app
 * at http://localhost:<port> only. Opened as printed, the page used to load a
 * sign-in form whose Continue did nothing, with CORS errors in the console.
 */
test("a sign-in page opened on 127.0.0.1 moves to localhost, and signing in there works with no console error", async ({
  page,
}) => {
  const user = await createUser({ firstName: "Loopback" });
  await waitForDeliveries();
  const errors = collectConsoleErrors(page);
  const { port } = new URL(world().appUrl);
  expect(world().appUrl).toBe(`http://localhost:${port}`);

  await page.goto(`http://127.0.0.1:${port}/sign-in?redirect_url=%2Fprofile`);
  await expect(page).toHaveURL(`${world().appUrl}/sign-in?redirect_url=%2Fprofile`);
  await signInWithClerkForm(page, user.email, user.password);
  await expect(page).toHaveURL(`${world().appUrl}/profile`);
  await expectProfileToShow(page, "email", user.email);
  expect(errors).toEqual([]);
});
