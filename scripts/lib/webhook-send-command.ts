import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, readDatabaseConfig, readWebhookConfig } from "~/env.server";
import { findClerk } from "./clerk-target";
import {
  buildClerkEvent,
  clerkEventEnvelope,
  defaultWebhookUrl,
  isSendableEventType,
  randomClerkId,
  SENDABLE_EVENT_TYPES,
  readLedgerRow,
  signForSvix,
  type LedgerLookup,
} from "./webhook-trigger";

export const WEBHOOK_SEND_HELP = `Send a signed Clerk webhook to the app, as Clerk (through Svix) would.

  npm run webhook:send -- <type> [options]
  npm run webhook:send -- --file payload.json [options]
    <type>             user.created|updated|deleted, organization.created|updated|deleted,
                       organizationMembership.created|updated|deleted
    --user <id>        the Clerk user id (default: a new random user_…); for memberships, the member
    --org <id>         the organization id (default: a new random org_…)
    --membership <id>  the membership id (default: a new random orgmem_…)
    --file <path>      send a saved payload: a whole Clerk event, or just its data with the type as argument
    --to <url>         where to send it (default http://localhost:$PORT/api/webhooks/clerk, PORT=3000)
    --bad-signature    sign with a wrong secret, to watch the app reject it

Signs with the first secret in CLERK_WEBHOOK_SIGNING_SECRET (the shell, then .env; without one, the
secret of the offline stand-in \`npm run dev\` is running), and reads the outcome from webhook_events
in the SQLite file at DATABASE_URL when it is on this machine.
`;

export interface CommandIo {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  fetch?: typeof fetch;
  readFile?: (path: string) => string;
  /** Where a running offline stand-in is found when env has no secret (default data/clerk-stand-in.control.json). */
  standInControlFile?: string;
}

interface Outgoing {
  body: string;
  type: string;
  userId: string | null;
}

function eventFromArgs(
  type: string | undefined,
  values: { user?: string; org?: string; membership?: string; file?: string },
  readFile: (path: string) => string,
): Outgoing | string {
  if (values.file) {
    let parsed: unknown;
    const text = readFile(values.file);
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return `${values.file} is not JSON (${(error as Error).message}).`;
    }
    const envelope = parsed as { type?: unknown; data?: { id?: unknown } };
    if (typeof envelope?.type === "string") {
      // A whole event: sent byte for byte, as saved.
      return {
        body: text,
        type: envelope.type,
        userId: typeof envelope.data?.id === "string" ? envelope.data.id : null,
      };
    }
    if (!type) return `${values.file} has no "type": give the event type as the first argument to wrap it.`;
    const data = parsed as { id?: unknown };
    return {
      body: JSON.stringify(clerkEventEnvelope(type, parsed, Date.now())),
      type,
      userId: typeof data?.id === "string" ? data.id : null,
    };
  }
  if (!type) return `Give an event type (${SENDABLE_EVENT_TYPES.join(", ")}) or --file.`;
  if (!isSendableEventType(type))
    return `Unknown event type "${type}": use ${SENDABLE_EVENT_TYPES.join(", ")}, or --file for any other event.`;
  const subjects = {
    userId: values.user ?? randomClerkId("user"),
    organizationId: values.org ?? randomClerkId("org"),
    membershipId: values.membership ?? randomClerkId("orgmem"),
  };
  const about = type.startsWith("organization.") ? subjects.organizationId : subjects.userId;
  return { body: JSON.stringify(buildClerkEvent(type, subjects)), type, userId: about };
}

function describeLedger(lookup: LedgerLookup, rejectedOnPurpose: boolean): string {
  switch (lookup.kind) {
    case "row": {
      const { status, outcome, error, attempts } = lookup.row;
      return `webhook_events: ${status}, outcome ${outcome ?? "none"}${error ? `, error ${error}` : ""} (attempt ${attempts})`;
    }
    case "no_row":
      return rejectedOnPurpose
        ? "webhook_events: no row: the app rejected it before writing anything, as it should"
        : "webhook_events: no row for this svix-id (rejected before any write, or the app uses another DATABASE_URL)";
    case "unavailable":
      return `webhook_events: not read (${lookup.reason})`;
  }
}

/** The whole command, with its environment and output passed in so that tests run it in-process. */
export async function webhookSend(argv: string[], io: CommandIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        user: { type: "string" },
        org: { type: "string" },
        membership: { type: "string" },
        file: { type: "string" },
        to: { type: "string" },
        "bad-signature": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    err(`${(error as Error).message}\n\n${WEBHOOK_SEND_HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(WEBHOOK_SEND_HELP);
    return 0;
  }
  if (positionals.length > 1) {
    err(`Expected one event type, got: ${positionals.join(" ")}\n\n${WEBHOOK_SEND_HELP}`);
    return 2;
  }
  const url = values.to ?? defaultWebhookUrl(io.env);
  try {
    new URL(url);
  } catch {
    err(`--to must be a URL, e.g. http://localhost:3000/api/webhooks/clerk (got "${url}").`);
    return 2;
  }

  let secret = "";
  let databasePath: string;
  try {
    databasePath = readDatabaseConfig(io.env).path;
    // A deliberately bad signature needs no secret; a good one needs the app's, or the running stand-in's.
    if (!values["bad-signature"]) {
      const clerk = await findClerk("webhook-secret", { env: io.env, controlFile: io.standInControlFile });
      out(clerk.describe);
      secret = readWebhookConfig(clerk.env).signingSecrets[0];
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    err(error.message);
    return 2;
  }

  let event: Outgoing | string;
  try {
    event = eventFromArgs(positionals[0], values, io.readFile ?? ((path) => readFileSync(path, "utf8")));
  } catch (error) {
    err(`Cannot read ${values.file}: ${(error as Error).message}`);
    return 2;
  }
  if (typeof event === "string") {
    err(event);
    return 2;
  }

  const delivery = signForSvix(event.body, secret, { badSignature: values["bad-signature"] });
  const signedWith = values["bad-signature"] ? "a wrong secret, on purpose" : "CLERK_WEBHOOK_SIGNING_SECRET";
  out(`→ POST ${url}`);
  out(
    `  ${event.type}${event.userId ? ` for ${event.userId}` : ""} · svix-id ${delivery.svixId} · signed with ${signedWith}`,
  );

  let response: Response;
  try {
    response = await (io.fetch ?? fetch)(url, { method: "POST", headers: delivery.headers, body: delivery.body });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    err(`Nothing answered at ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}).`);
    err("Is the app running? Start it with `npm run dev` (or `npm start`), or point --to at it.");
    return 1;
  }
  const text = await response.text();
  out(`← ${response.status} ${response.statusText}  ${text.length > 300 ? `${text.slice(0, 300)}…` : text}`);
  out(`  ${describeLedger(readLedgerRow(databasePath, delivery.svixId), values["bad-signature"])}`);

  const expected = values["bad-signature"] ? response.status === 400 : response.ok;
  if (!expected) {
    err(
      values["bad-signature"]
        ? "Expected the app to reject the bad signature with 400."
        : "The app did not accept the event.",
    );
    return 1;
  }
  return 0;
}
