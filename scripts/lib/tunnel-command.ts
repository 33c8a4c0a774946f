import { parseArgs } from "node:util";
import { SENDABLE_EVENT_TYPES } from "./webhook-trigger";

/**
 * `npm run tunnel`: exposes the local app to Clerk through an ngrok tunnel
 * (@ngrok/ngrok, the agent as a library: nothing else to install) and prints
 * exactly what to paste into Clerk's dashboard. Opening the tunnel is passed
 * in, so tests check everything around it without reaching ngrok.
 */

export const NGROK_AUTHTOKEN_URL = "https://dashboard.ngrok.com/get-started/your-authtoken";
export const NGROK_DOMAINS_URL = "https://dashboard.ngrok.com/domains";
export const WEBHOOK_PATH = "/api/webhooks/clerk";

export const TUNNEL_HELP = `Expose the local app to Clerk's webhooks through ngrok.

  npm run tunnel [-- options]
    --port <n>       local port of the app (default $PORT, else 3000)
    --domain <host>  your fixed ngrok domain (default $NGROK_DOMAIN; without one the URL changes every run)

Needs NGROK_AUTHTOKEN (free: ${NGROK_AUTHTOKEN_URL}).
`;

export interface TunnelListener {
  url(): string | null;
  close(): Promise<void>;
}

export interface TunnelRequest {
  /** What ngrok forwards to, e.g. "localhost:3000". */
  addr: string;
  authtoken: string;
  domain?: string;
}

export type OpenTunnel = (request: TunnelRequest) => Promise<TunnelListener>;

export const openNgrokTunnel: OpenTunnel = async ({ addr, authtoken, domain }) => {
  // Loaded only here: the native agent stays out of everything that does not open a tunnel.
  const ngrok = await import("@ngrok/ngrok");
  return ngrok.forward({ addr, authtoken, ...(domain ? { domain } : {}) });
};

export interface TunnelIo {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  openTunnel?: OpenTunnel;
  /** Resolves when the tunnel should close (Ctrl-C by default). */
  untilStopped?: () => Promise<void>;
}

export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

export function clerkInstructions(publicUrl: string, options: { port: number; fixedDomain: boolean }): string {
  const endpoint = `${publicUrl.replace(/\/+$/, "")}${WEBHOOK_PATH}`;
  return [
    `Tunnel open: ${publicUrl} → http://localhost:${options.port}`,
    "",
    "In Clerk's dashboard → Webhooks → Add Endpoint:",
    `  Endpoint URL   ${endpoint}`,
    `  Subscribe to   ${SENDABLE_EVENT_TYPES.join(", ")}`,
    "Then copy the endpoint's Signing Secret (whsec_…) into CLERK_WEBHOOK_SIGNING_SECRET and restart the app.",
    "",
    options.fixedDomain
      ? "This is your fixed domain: the endpoint stays valid across restarts."
      : `This URL changes every run: claim a free static domain (${NGROK_DOMAINS_URL}) and set NGROK_DOMAIN to keep it.`,
    `Try it:  npm run webhook:send -- user.created --to ${endpoint}`,
    "Ctrl-C closes the tunnel.",
    "",
  ].join("\n");
}

export async function tunnel(argv: string[], io: TunnelIo): Promise<number> {
  const err = (text: string) => io.stderr.write(`${text}\n`);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string" },
        domain: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    err(`${(error as Error).message}\n\n${TUNNEL_HELP}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(TUNNEL_HELP);
    return 0;
  }
  const rawPort = values.port ?? io.env.PORT?.trim() ?? "3000";
  const port = Number(rawPort || "3000");
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    err(`--port must be a port number from 1 to 65535 (got "${rawPort}").`);
    return 2;
  }
  const authtoken = io.env.NGROK_AUTHTOKEN?.trim();
  if (!authtoken) {
    err("NGROK_AUTHTOKEN is not set. ngrok needs it to open a tunnel.");
    err(
      `Get yours (free) at ${NGROK_AUTHTOKEN_URL}, then: export NGROK_AUTHTOKEN=<token> and run npm run tunnel again.`,
    );
    return 1;
  }
  const domain =
    (values.domain ?? io.env.NGROK_DOMAIN)
      ?.trim()
      .replace(/^https?:\/\//, "")
      .replace(/\/+$/, "") || undefined;

  let listener: TunnelListener;
  try {
    listener = await (io.openTunnel ?? openNgrokTunnel)({ addr: `localhost:${port}`, authtoken, domain });
  } catch (error) {
    err(`ngrok could not open the tunnel: ${(error as Error).message}`);
    if (domain) err(`Is ${domain} one of your domains (${NGROK_DOMAINS_URL})?`);
    return 1;
  }
  const publicUrl = listener.url();
  if (!publicUrl) {
    err("ngrok opened a tunnel but reported no URL.");
    await listener.close();
    return 1;
  }
  io.stdout.write(clerkInstructions(publicUrl, { port, fixedDomain: Boolean(domain) }));
  await (io.untilStopped ?? untilSignal)();
  await listener.close();
  io.stdout.write("Tunnel closed.\n");
  return 0;
}
