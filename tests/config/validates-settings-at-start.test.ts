import { describe, expect, it } from "vitest";
import { ConfigError, databasePathFromUrl, loadAppEnv, readDatabaseConfig, readWebhookConfig } from "~/env.server";

const pk = (host: string, kind = "test") => `pk_${kind}_${Buffer.from(`${host}$`).toString("base64")}`;

const valid = {
  CLERK_WEBHOOK_SIGNING_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  CLERK_PUBLISHABLE_KEY: pk("clerk.example.com", "live"),
  CLERK_SECRET_KEY: "sk_live_abcdefghijklmnop",
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration is validated once, naming the variable at fault", () => {
  it("loads a complete environment", () => {
    const env = loadAppEnv({ ...valid, NODE_ENV: "production" });
    expect(env.clerk.frontendApiHost).toBe("clerk.example.com");
    expect(env.clerk.apiUrl).toBe("https://api.clerk.com");
    expect(env.webhook.signingSecrets).toEqual([valid.CLERK_WEBHOOK_SIGNING_SECRET]);
    expect(env.database).toEqual({ path: "data/app.db", synchronous: "NORMAL", busyTimeoutMs: 5000 });
    expect(env.offlineMode).toBe(false);
  });

  it.each([
    [
      "CLERK_WEBHOOK_SIGNING_SECRET",
      { CLERK_WEBHOOK_SIGNING_SECRET: undefined },
      /CLERK_WEBHOOK_SIGNING_SECRET is not set/,
    ],
    [
      "CLERK_WEBHOOK_SIGNING_SECRET",
      { CLERK_WEBHOOK_SIGNING_SECRET: "not-a-secret" },
      /CLERK_WEBHOOK_SIGNING_SECRET has a value that is not a whsec_ secret/,
    ],
    ["CLERK_PUBLISHABLE_KEY", { CLERK_PUBLISHABLE_KEY: undefined }, /CLERK_PUBLISHABLE_KEY is not set/],
    ["CLERK_PUBLISHABLE_KEY", { CLERK_PUBLISHABLE_KEY: "pk_test_garbage" }, /CLERK_PUBLISHABLE_KEY is malformed/],
    ["CLERK_SECRET_KEY", { CLERK_SECRET_KEY: undefined }, /CLERK_SECRET_KEY is not set/],
    ["CLERK_SECRET_KEY", { CLERK_SECRET_KEY: "pk_test_wrongkind" }, /CLERK_SECRET_KEY is malformed/],
    ["CLERK_API_URL", { CLERK_API_URL: "not a url" }, /CLERK_API_URL is malformed/],
    ["SQLITE_SYNCHRONOUS", { SQLITE_SYNCHRONOUS: "sometimes" }, /SQLITE_SYNCHRONOUS is malformed/],
    ["SQLITE_BUSY_TIMEOUT_MS", { SQLITE_BUSY_TIMEOUT_MS: "-1" }, /SQLITE_BUSY_TIMEOUT_MS is malformed/],
  ])("explains a missing or malformed %s", (_name, override, expected) => {
    const message = messageOf(() => loadAppEnv({ ...valid, ...override }));
    expect(message).toMatch(expected);
  });

  it("never echoes a secret's value in its message", () => {
    const message = messageOf(() => loadAppEnv({ ...valid, CLERK_WEBHOOK_SIGNING_SECRET: "whsec_short" }));
    expect(message).not.toContain("whsec_short");
  });

  it("accepts the older CLERK_WEBHOOK_SECRET name", () => {
    expect(readWebhookConfig({ CLERK_WEBHOOK_SECRET: valid.CLERK_WEBHOOK_SIGNING_SECRET }).signingSecrets).toHaveLength(
      1,
    );
  });

  it("names the rotated secret that is malformed", () => {
    const message = messageOf(() =>
      readWebhookConfig({ CLERK_WEBHOOK_SIGNING_SECRET: `${valid.CLERK_WEBHOOK_SIGNING_SECRET} whsec_` }),
    );
    expect(message).toMatch(/\(#2\)/);
  });

  it("keeps Clerk's own CLERK_API_URL, trailing slash removed", () => {
    expect(loadAppEnv({ ...valid, CLERK_API_URL: "http://localhost:4010/", OFFLINE_MODE: "1" }).clerk.apiUrl).toBe(
      "http://localhost:4010",
    );
  });

  it.each(["production", "staging", "development", undefined])(
    "refuses stand-in keys unless offline mode is asked for, with NODE_ENV=%s",
    (nodeEnv) => {
      for (const host of ["localhost:4010/fapi", "127.0.0.1:4010", "[::1]:4010"]) {
        const standIn = { ...valid, CLERK_PUBLISHABLE_KEY: pk(host, "live"), NODE_ENV: nodeEnv };
        expect(messageOf(() => loadAppEnv(standIn))).toMatch(/points at a local Clerk stand-in.*OFFLINE_MODE=1/s);
        expect(loadAppEnv({ ...standIn, OFFLINE_MODE: "1" }).offlineMode).toBe(true);
      }
    },
  );

  it("refuses a whsec_ secret svix cannot decode, naming the variable and not the value", () => {
    // It matches the whsec_ pattern, so it used to pass, and then every delivery was answered 503 forever.
    const broken = "whsec_AAAAAAAAAAAAAAA=A";
    const message = messageOf(() => loadAppEnv({ ...valid, CLERK_WEBHOOK_SIGNING_SECRET: broken }));
    expect(message).toMatch(/^CLERK_WEBHOOK_SIGNING_SECRET has a value that is not a whsec_ secret/);
    expect(message).not.toContain(broken);
    expect(message).not.toContain("AAAAAAAAAAAAAAA");
    const rotated = messageOf(() =>
      readWebhookConfig({ CLERK_WEBHOOK_SIGNING_SECRET: `${valid.CLERK_WEBHOOK_SIGNING_SECRET} ${broken}` }),
    );
    expect(rotated).toMatch(/\(#2\)/);
  });

  it("reads APP_URL as the public origin and refuses a malformed one", () => {
    expect(loadAppEnv(valid).publicOrigin).toBeNull();
    expect(loadAppEnv({ ...valid, APP_URL: "https://abc.ngrok.app/some/path" }).publicOrigin).toBe(
      "https://abc.ngrok.app",
    );
    expect(messageOf(() => loadAppEnv({ ...valid, APP_URL: "ftp://x" }))).toMatch(/^APP_URL is malformed/);
  });

  it.each([
    ["WEBHOOK_BODY_TIMEOUT_MS", "0"],
    ["WEBHOOK_PENDING_BODY_BYTES_MAX", "lots"],
  ])("explains a malformed %s", (name, value) => {
    expect(messageOf(() => loadAppEnv({ ...valid, [name]: value }))).toMatch(new RegExp(`^${name} is malformed`));
  });

  it.each([
    ["data/app.db", "data/app.db"],
    ["file:data/app.db", "data/app.db"],
    ["file:///var/lib/clerk-sync/app.db", "/var/lib/clerk-sync/app.db"],
    ["file:./x.db?mode=rwc", "./x.db"],
  ])("reads DATABASE_URL %s as the path %s", (url, path) => {
    expect(databasePathFromUrl(url)).toBe(path);
    expect(readDatabaseConfig({ DATABASE_URL: url }).path).toBe(path);
  });
});
