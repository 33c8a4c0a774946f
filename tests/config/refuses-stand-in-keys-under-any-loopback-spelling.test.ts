import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadAppEnv } from "~/env.server";
import { isThisMachine } from "~/loopback.server";
import { runBuiltAppUntilExit } from "../support/app-server";
import { TEST_WEBHOOK_SECRET } from "../support/test-env";

/**
 * A deploy must not trust sessions a local stand-in mints. "Local" is decided
 * by parsing the host the way browsers and Clerk's SDKs do, so every spelling
 * of this machine is caught, and no real host that merely looks like one is.
 */

const pk = (host: string) => `pk_live_${Buffer.from(`${host}$`).toString("base64")}`;

const real = {
  CLERK_WEBHOOK_SIGNING_SECRET: TEST_WEBHOOK_SECRET,
  CLERK_PUBLISHABLE_KEY: pk("clerk.example.com"),
  CLERK_SECRET_KEY: "sk_live_abcdefghijklmnop",
};

// Each as the host of a publishable key (Frontend API) and of CLERK_API_URL (where the JWKS come from).
const THIS_MACHINE = [
  "localhost:4010",
  "localhost.:4010",
  "LOCALHOST:4010",
  "clerk.stand-in.localhost:4010",
  "localhost.localdomain",
  "ip6-localhost",
  "ip6-loopback",
  "ｌｏｃａｌｈｏｓｔ:4010",
  "127.0.0.1:4010",
  "127.1:4010",
  "127.0.0.1.:4010",
  "127.255.255.254",
  "0177.0.0.1",
  "2130706433",
  "0x7f000001",
  "0.0.0.0:4010",
  "[::1]:4010",
  "[0:0:0:0:0:0:0:1]:4010",
  "[::]:4010",
  "[::ffff:127.0.0.1]:4010",
  "[::ffff:7f00:1]",
  "localhost:4010/fapi",
];

const ELSEWHERE = [
  "clerk.example.com",
  "accounts.dev",
  "clerk.happy-hippo-12.accounts.dev",
  "127.example.com",
  "localhost.example.com",
  "mylocalhost",
  "[2001:db8::1]",
  "128.0.0.1",
  "10.0.0.1",
  "[::2]",
  "[::ffff:8.8.8.8]",
];

function refusal(source: Record<string, string | undefined>): string | null {
  try {
    loadAppEnv(source);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe("stand-in keys are refused without OFFLINE_MODE=1, under any spelling of this machine", () => {
  it.each(THIS_MACHINE)("a publishable key whose Frontend API is %s", (host) => {
    const env = { ...real, CLERK_PUBLISHABLE_KEY: pk(host) };
    expect(refusal({ ...env, NODE_ENV: "production" })).toMatch(
      /^CLERK_PUBLISHABLE_KEY points at a local Clerk stand-in .* without OFFLINE_MODE=1/,
    );
    expect(loadAppEnv({ ...env, OFFLINE_MODE: "1" }).offlineMode).toBe(true);
  });

  it.each(THIS_MACHINE)("CLERK_API_URL on %s, with a real publishable key", (host) => {
    const env = { ...real, CLERK_API_URL: `http://${host}` };
    expect(refusal({ ...env, NODE_ENV: "production" })).toMatch(
      /^CLERK_API_URL points at a local Clerk stand-in .* without OFFLINE_MODE=1/,
    );
    expect(loadAppEnv({ ...env, OFFLINE_MODE: "1" }).offlineMode).toBe(true);
  });

  it.each(ELSEWHERE)("a real Clerk on %s starts", (host) => {
    expect(refusal({ ...real, CLERK_PUBLISHABLE_KEY: pk(host), CLERK_API_URL: `https://${host}` })).toBeNull();
    expect(isThisMachine(host)).toBe(false);
  });

  it("agrees with the parser on every spelling, with or without a scheme", () => {
    for (const host of THIS_MACHINE) {
      expect(isThisMachine(host), host).toBe(true);
      expect(isThisMachine(`https://${host}`), host).toBe(true);
    }
  });

  it("the production build refuses to start on such keys, naming the variable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clerk-sync-stand-in-keys-"));
    const { code, output } = await runBuiltAppUntilExit({
      ...real,
      CLERK_PUBLISHABLE_KEY: pk("2130706433:4010"),
      DATABASE_URL: join(dir, "app.db"),
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/CLERK_PUBLISHABLE_KEY points at a local Clerk stand-in/);
    expect(output).not.toContain("[remix-serve]");
  });
});
