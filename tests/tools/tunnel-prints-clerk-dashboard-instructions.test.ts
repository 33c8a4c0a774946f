import { describe, expect, it } from "vitest";
import { tunnel, type TunnelRequest } from "../../scripts/lib/tunnel-command";

/** Runs `npm run tunnel` in-process with a stand-in for ngrok: no test reaches ngrok's servers. */
async function runTunnel(
  args: string[],
  env: Record<string, string | undefined>,
  publicUrl: string | null = "https://a1b2c3.ngrok-free.app",
) {
  let stdout = "";
  let stderr = "";
  const requests: TunnelRequest[] = [];
  let closed = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const code = tunnel(args, {
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    openTunnel: async (request) => {
      requests.push(request);
      return { url: () => publicUrl, close: async () => void (closed = true) };
    },
    untilStopped: () => {
      // Ctrl-C as soon as the instructions are out.
      stop();
      return stopped;
    },
  });
  return { code: await code, stdout, stderr, requests, closed };
}

describe("npm run tunnel", () => {
  it("without NGROK_AUTHTOKEN, says where to get one and opens nothing", async () => {
    const run = await runTunnel([], {});
    expect(run.code).toBe(1);
    expect(run.requests).toEqual([]);
    expect(run.stderr).toBe(
      "NGROK_AUTHTOKEN is not set. ngrok needs it to open a tunnel.\n" +
        "Get yours (free) at https://dashboard.ngrok.com/get-started/your-authtoken, then: export NGROK_AUTHTOKEN=<token> and run npm run tunnel again.\n",
    );
  });

  it("forwards to the app's port and prints the exact endpoint URL and events for Clerk's dashboard", async () => {
    const run = await runTunnel([], { NGROK_AUTHTOKEN: "2abc_token", PORT: "3000" });
    expect(run.code).toBe(0);
    expect(run.requests).toEqual([{ addr: "localhost:3000", authtoken: "2abc_token", domain: undefined }]);
    expect(run.stdout).toBe(
      [
        "Tunnel open: https://a1b2c3.ngrok-free.app → http://localhost:3000",
        "",
        "In Clerk's dashboard → Webhooks → Add Endpoint:",
        "  Endpoint URL   https://a1b2c3.ngrok-free.app/api/webhooks/clerk",
        "  Subscribe to   user.created, user.updated, user.deleted, organization.created, organization.updated, organization.deleted, organizationMembership.created, organizationMembership.updated, organizationMembership.deleted",
        "Then copy the endpoint's Signing Secret (whsec_…) into CLERK_WEBHOOK_SIGNING_SECRET and restart the app.",
        "",
        "This URL changes every run: claim a free static domain (https://dashboard.ngrok.com/domains) and set NGROK_DOMAIN to keep it.",
        "Try it:  npm run webhook:send -- user.created --to https://a1b2c3.ngrok-free.app/api/webhooks/clerk",
        "Ctrl-C closes the tunnel.",
        "Tunnel closed.",
        "",
      ].join("\n"),
    );
    expect(run.closed).toBe(true);
  });

  it("asks ngrok for the fixed NGROK_DOMAIN, and --port/--domain override the environment", async () => {
    const fixed = await runTunnel(
      [],
      { NGROK_AUTHTOKEN: "t", NGROK_DOMAIN: "https://clerk-sync.ngrok.app/" },
      "https://clerk-sync.ngrok.app",
    );
    expect(fixed.requests[0]).toEqual({ addr: "localhost:3000", authtoken: "t", domain: "clerk-sync.ngrok.app" });
    expect(fixed.stdout).toContain("  Endpoint URL   https://clerk-sync.ngrok.app/api/webhooks/clerk\n");
    expect(fixed.stdout).toContain("This is your fixed domain: the endpoint stays valid across restarts.");

    const flags = await runTunnel(["--port", "5173", "--domain", "other.ngrok.app"], {
      NGROK_AUTHTOKEN: "t",
      NGROK_DOMAIN: "x.ngrok.app",
      PORT: "3000",
    });
    expect(flags.requests[0]).toEqual({ addr: "localhost:5173", authtoken: "t", domain: "other.ngrok.app" });
  });

  it("rejects a bad port or an unknown flag before touching ngrok, and reports ngrok's own errors", async () => {
    const badPort = await runTunnel(["--port", "http"], { NGROK_AUTHTOKEN: "t" });
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be a port number from 1 to 65535 (got "http").');
    const unknown = await runTunnel(["--region", "eu"], { NGROK_AUTHTOKEN: "t" });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--region'");
    expect([...badPort.requests, ...unknown.requests]).toEqual([]);

    let stderr = "";
    const code = await tunnel([], {
      env: { NGROK_AUTHTOKEN: "t", NGROK_DOMAIN: "not-mine.ngrok.app" },
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      openTunnel: async () => {
        throw new Error("the domain 'not-mine.ngrok.app' is not reserved for your account (ERR_NGROK_320)");
      },
    });
    expect(code).toBe(1);
    expect(stderr).toContain("ngrok could not open the tunnel: the domain 'not-mine.ngrok.app' is not reserved");
    expect(stderr).toContain("Is not-mine.ngrok.app one of your domains (https://dashboard.ngrok.com/domains)?");
  });
});
