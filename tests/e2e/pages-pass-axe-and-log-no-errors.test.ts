import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { collectConsoleErrors, profileField, screenshot } from "./support/pages";
import { control, createUser, signIn, waitForDeliveries, world } from "./support/world";

const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
];

// The signed-in user's organization: its page is listed below, and the profile lists it.
const ORGANIZATION_SLUG = `axe-club-${randomUUID().slice(0, 8)}`;

/** Each page in the state a visitor sees once it has settled (Clerk's form drawn, the profile's row shown). */
const PAGES: { name: string; path: string; signedIn?: boolean; ready: (page: Page) => Promise<void> }[] = [
  { name: "home", path: "/", ready: (page) => expect(page.getByRole("heading", { level: 1 })).toBeVisible() },
  { name: "sign-in", path: "/sign-in", ready: (page) => expect(page.getByLabel(/email address/i)).toBeVisible() },
  { name: "sign-up", path: "/sign-up", ready: (page) => expect(page.getByLabel(/email address/i)).toBeVisible() },
  {
    name: "profile",
    path: "/profile",
    signedIn: true,
    ready: async (page) => {
      await expect(profileField(page, "email")).toBeVisible();
      await expect(page.getByRole("button", { name: "Open user menu" })).toBeVisible();
    },
  },
  {
    name: "organization",
    path: `/orgs/${ORGANIZATION_SLUG}`,
    signedIn: true,
    ready: async (page) => {
      await expect(page.getByRole("rowheader").filter({ hasText: "(you)" })).toBeVisible();
      await expect(page.getByRole("button", { name: "Open user menu" })).toBeVisible();
    },
  },
  {
    name: "not-found",
    path: "/no-such-page",
    ready: (page) => expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible(),
  },
];

/** Each viewport's test has its own user: the first creates the organization, the next joins it. */
async function joinTheOrganization(userId: string) {
  const existing = await control(`/organizations/${ORGANIZATION_SLUG}`).catch(() => undefined);
  if (existing)
    await control(`/organizations/${ORGANIZATION_SLUG}/memberships`, { body: { user_id: userId, role: "org:member" } });
  else await control("/organizations", { body: { name: "Axe Club", slug: ORGANIZATION_SLUG, created_by: userId } });
}

for (const viewport of VIEWPORTS) {
  test(`every page has no axe-core violations and no console errors at ${viewport.width}×${viewport.height}`, async ({
    browser,
  }) => {
    const user = await createUser({ firstName: "Axe" });
    await joinTheOrganization(user.id);
    await waitForDeliveries();
    for (const entry of PAGES) {
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      if (entry.signedIn) await signIn(context, user);
      const page = await context.newPage();
      const errors = collectConsoleErrors(page);
      await page.goto(`${world().appUrl}${entry.path}`);
      await entry.ready(page);
      const results = await new AxeBuilder({ page }).analyze();
      const violations = results.violations.map(
        (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
      );
      expect(violations, `${entry.name} at ${viewport.name}`).toEqual([]);
      // A 404 is logged by Chromium as a failed resource load of the document: that one is the point of the page.
      const appErrors = errors.filter((text) => !(entry.name === "not-found" && /status of 404/.test(text)));
      expect(appErrors, `${entry.name} at ${viewport.name}`).toEqual([]);
      await screenshot(page, `20-${entry.name}-${viewport.name}`);
      await context.close();
    }
  });
}

test("the focus ring has at least 3:1 contrast against the card, and app styles do not reach Clerk's user menu", async ({
  page,
  context,
}) => {
  const user = await createUser({ firstName: "Ring" });
  await waitForDeliveries();
  await signIn(context, user);
  await page.goto(`${world().appUrl}/profile`);
  const button = page.getByRole("button", { name: "Sync User Data", exact: true });
  await button.focus();
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Tab");
  const ring = await button.evaluate((element) => {
    const style = getComputedStyle(element);
    return { color: style.outlineColor, width: style.outlineWidth, style: style.outlineStyle };
  });
  expect(ring.style).toBe("solid");
  expect(contrast(ring.color, "rgb(255, 255, 255)")).toBeGreaterThanOrEqual(3);
  await screenshot(page, "21-focus-ring");

  // The old global `button` rules painted Clerk's menu items with the app's accent and focus ring.
  await page.getByRole("button", { name: "Open user menu" }).focus();
  await page.keyboard.press("Enter");
  const menuButtons = page.locator(".cl-userButtonPopoverCard button");
  await expect(menuButtons.first()).toBeVisible();
  await page.keyboard.press("Tab");
  const looks = await menuButtons.evaluateAll((buttons) =>
    buttons.map((b) => ({
      background: getComputedStyle(b).backgroundColor,
      outline: getComputedStyle(b).outlineColor,
    })),
  );
  for (const look of looks) {
    expect(look.background).not.toBe("rgb(74, 58, 255)");
    expect([ring.color, "rgb(154, 144, 255)"]).not.toContain(look.outline);
  }
  await screenshot(page, "22-user-menu");
});

function luminance(rgb: string) {
  const [r, g, b] = rgb
    .match(/\d+(\.\d+)?/g)!
    .slice(0, 3)
    .map(Number)
    .map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
