import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { clerkEvent, signDelivery } from "@clerk-sync/clerk-stand-in/testing";
import type { BrowserContext } from "@playwright/test";

/**
 * What the e2e global set-up started (tests/e2e/global-setup.ts): the offline
 * Clerk stand-in, the production build of the app, and a tunnel in between.
 */
export interface E2EWorld {
  appUrl: string;
  standInUrl: string;
  tunnelUrl: string;
  databasePath: string;
  webhookSecret: string;
  /** The stand-in's per-run token for its control API and testing sign-in. */
  controlToken: string;
}

export const E2E_STATE_FILE = fileURLToPath(new URL("../../../test-results/e2e-world.json", import.meta.url));

let cached: E2EWorld | undefined;
export function world(): E2EWorld {
  cached ??= JSON.parse(readFileSync(E2E_STATE_FILE, "utf8")) as E2EWorld;
  return cached;
}

/** The stand-in's control API: what a developer does in Clerk's dashboard. */
export async function control<T = any>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${world().standInUrl}/_control${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      authorization: `Bearer ${world().controlToken}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`control ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  firstName: string;
}

/** A user of this test only, created "in the dashboard" so that user.created is delivered. */
export async function createUser(overrides: { firstName?: string } = {}): Promise<TestUser> {
  const tag = randomUUID().slice(0, 8);
  const email = `e2e-${tag}@example.com`;
  const password = `pw-${tag}-Secret!`;
  const firstName = overrides.firstName ?? "Edith";
  const user = await control<{ id: string }>("/users", {
    body: {
      email_address: [email],
      password,
      first_name: firstName,
      last_name: `Tester ${tag}`,
      username: `e2e_${tag}`,
    },
  });
  return { id: user.id, email, password, firstName };
}

export async function updateUser(id: string, patch: Record<string, unknown>) {
  return control(`/users/${id}`, { method: "PATCH", body: patch });
}

export async function waitForDeliveries() {
  await control("/deliveries/wait", { body: {} });
}

export async function deliveriesFor(userId: string): Promise<any[]> {
  return (await control<{ data: any[] }>(`/deliveries?user_id=${encodeURIComponent(userId)}`)).data;
}

/** Signs the browser in through the stand-in's testing endpoint (no UI), like Clerk's testing tokens. */
export async function signIn(context: BrowserContext, user: TestUser) {
  const response = await fetch(`${world().standInUrl}/fapi/_testing/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${world().controlToken}` },
    body: JSON.stringify({ user_id: user.id, origin: world().appUrl, domain: "localhost" }),
  });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  const { cookies } = (await response.json()) as { cookies: any[] };
  await context.addCookies(cookies);
}

/** The row as outside tools see it. */
export function userRow(clerkId: string): Record<string, any> | undefined {
  const db = new Database(world().databasePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("select * from users where clerk_id = ?").get(clerkId) as Record<string, any> | undefined;
  } finally {
    db.close();
  }
}

export function webhookEvents(clerkId: string): Record<string, any>[] {
  const db = new Database(world().databasePath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("select * from webhook_events where clerk_user_id = ? order by received_at")
      .all(clerkId) as Record<string, any>[];
  } finally {
    db.close();
  }
}

export function uniqueEmail(prefix = "signup") {
  return `${prefix}-${randomUUID().slice(0, 8)}@example.com`;
}

/** POSTs a Clerk event to the app signed with the endpoint's secret, as `npm run webhook:send` does. */
export async function sendSignedEvent(type: string, data: unknown): Promise<Response> {
  const body = JSON.stringify(clerkEvent(type, data, { instanceId: "ins_e2e" }));
  return fetch(`${world().appUrl}/api/webhooks/clerk`, {
    method: "POST",
    headers: { "content-type": "application/json", ...signDelivery(world().webhookSecret, body) },
    body,
  });
}
