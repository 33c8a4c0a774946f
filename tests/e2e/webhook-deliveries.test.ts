import { expect, test } from "@playwright/test";
import { expectProfileToShow, openProfile, profileField } from "./support/pages";
import {
  control,
  createUser,
  deliveriesFor,
  signIn,
  updateUser,
  userRow,
  waitForDeliveries,
  webhookEvents,
  world,
} from "./support/world";

test.afterEach(async () => {
  await control("/faults", { method: "DELETE" });
  await fetch(`${world().tunnelUrl}/__tunnel/fail-next`, { method: "DELETE" });
});

test("a user changed in Clerk sends user.updated, and a reload shows the change", async ({ page, context }) => {
  const user = await createUser({ firstName: "Before" });
  await signIn(context, user);
  await expectProfileToShow(page, "name", /^Before /);

  await updateUser(user.id, { first_name: "After" });
  await waitForDeliveries();
  await page.reload();
  await expect(profileField(page, "name")).toHaveText(/^After /);
  expect(webhookEvents(user.id).map((e) => e.event_type)).toEqual(["user.created", "user.updated"]);
});

test("deliveries through an ngrok-like tunnel (other Host, X-Forwarded-Host/-Proto) still verify and land", async () => {
  const user = await createUser();
  await waitForDeliveries();

  const [delivery] = await deliveriesFor(user.id);
  expect(delivery.endpoint).toBe(`${world().tunnelUrl}/api/webhooks/clerk`);
  expect(delivery.state).toBe("succeeded");

  const forwarded = (await (await fetch(`${world().tunnelUrl}/__tunnel/requests`)).json()) as any[];
  const throughTunnel = forwarded.filter((r) => r.svixId === delivery.id);
  expect(throughTunnel).toEqual([
    expect.objectContaining({
      method: "POST",
      path: "/api/webhooks/clerk",
      status: 200,
      host: "clerk-sync-e2e.ngrok-free.app",
    }),
  ]);
  expect(webhookEvents(user.id)).toEqual([expect.objectContaining({ svix_id: delivery.id, status: "processed" })]);
  expect(userRow(user.id)!.email).toBe(user.email);
});

test("failed deliveries are retried on Svix's schedule until the app answers 2xx, and land exactly once", async ({
  page,
  context,
}) => {
  const user = await createUser({ firstName: "Retry" });
  await waitForDeliveries();

  // The tunnel is down for the next two attempts, the way ngrok answers when the agent is offline.
  await fetch(`${world().tunnelUrl}/__tunnel/fail-next?count=2`, { method: "POST" });
  await updateUser(user.id, { first_name: "Retried" });
  await waitForDeliveries();

  const update = (await deliveriesFor(user.id)).find((d) => d.type === "user.updated");
  expect(update.state).toBe("succeeded");
  expect(update.attempts.map((a: any) => a.status)).toEqual([502, 502, 200]);
  // Svix's schedule is immediately, 5 s, 5 min…: scaled by the stand-in's time scale.
  const scale = Number(process.env.E2E_TIME_SCALE ?? "0.001");
  const gaps = update.attempts.slice(1).map((a: any, i: number) => a.at - update.attempts[i].at);
  // Less 2 ms: both stamps are whole milliseconds, and a timer may fire a millisecond early.
  expect(gaps[0]).toBeGreaterThanOrEqual(5_000 * scale * 0.9 - 2);
  expect(gaps[1]).toBeGreaterThanOrEqual(300_000 * scale * 0.9 - 2);

  const rows = webhookEvents(user.id).filter((e) => e.svix_id === update.id);
  expect(rows).toEqual([expect.objectContaining({ status: "processed", outcome: "updated", attempts: 1 })]);

  // A duplicated delivery (same svix-id twice) is also applied once.
  await control("/faults", { body: { deliveries: { duplicate: 1 } } });
  await updateUser(user.id, { last_name: "Twice" });
  await waitForDeliveries();
  const duplicated = (await deliveriesFor(user.id)).filter((d) => d.type === "user.updated").at(-1);
  const forwarded = (await (await fetch(`${world().tunnelUrl}/__tunnel/requests`)).json()) as any[];
  expect(forwarded.filter((r) => r.svixId === duplicated.id)).toHaveLength(2);
  expect(webhookEvents(user.id).filter((e) => e.svix_id === duplicated.id)).toHaveLength(1);

  await signIn(context, user);
  await openProfile(page);
  await expect(profileField(page, "name")).toHaveText("Retried Twice");
});
