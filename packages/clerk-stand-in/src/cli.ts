import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  appEnvironment,
  formatConfig,
  formatDeleted,
  formatDeliveries,
  formatExports,
  formatFaults,
  formatMembers,
  formatMembershipChange,
  formatOrganizationChange,
  formatOrganizations,
  formatReset,
  formatSeeded,
  formatUpdated,
  formatUsers,
  formatWait,
  type DeliveryLog,
  type FaultSnapshot,
  type MembershipList,
  type OrganizationList,
  type ResetResult,
  type StandInConfig,
  type UserList,
} from "./cli-format.js";
import {
  membershipCommand,
  organizationCommand,
  organizationPath,
  type Control,
  type MembershipAction,
  type OrganizationAction,
} from "./cli-organizations.js";
import { callControl, resolveControlTarget } from "./control/control-client.js";
import { DEFAULT_CONTROL_TOKEN_FILE } from "./control/control-token.js";
import { consoleLogger } from "./logger.js";
import { startClerkStandIn } from "./server.js";
import { StateFile } from "./store/state-file.js";
import type { ClerkOrganizationJSON, ClerkOrganizationMembershipJSON } from "./store/organization-json.js";
import type { ClerkUserJSON } from "./store/user-json.js";

/** Relative to where it is started: in this repository the same file `npm run dev` uses. */
const DEFAULT_STATE_FILE = "data/clerk-stand-in.db";

const HELP = `Offline Clerk stand-in: Backend API, Svix-signed webhooks, Frontend API, fault switches.

Start one:
  npm run clerk:stand-in -- [start] [options]
    --port <n>             port on 127.0.0.1 (default 4010; 0 = any free port)
    --webhook-url <url>    where to deliver webhooks (repeatable)
    --webhook-secret <s>   whsec_… signing secret (default: generated)
    --seed <file.json>     users to load at start (array or { users }), no webhooks
    --time-scale <x>       multiply Svix's retry gaps (default 1; 0.001 = 5 s → 5 ms)
    --frontend-host <h>    host encoded in the publishable key (default 127.0.0.1:<port>)
    --test                 issue a pk_test_ (development) key instead of pk_live_
    --latency <150ms±50>   Backend API answers wait fixed ± jitter milliseconds (default: none)
    --rate-limit <kind>    Clerk's Backend API limit per secret key: production (1000 / 10 s)
                           or development (100 / 10 s); over it, 429 with Retry-After (default: none)
    --state-file <file>    where users, sessions, keys and the delivery log are kept (default ${DEFAULT_STATE_FILE})
    --ephemeral            keep everything in memory only; a restart starts from nothing
    --app-origin <url>     the app's origin, answered with CORS by the Frontend API (repeatable;
                           default http://localhost:3000)
    --token-file <file>    where to write the control token for this CLI (default ${DEFAULT_CONTROL_TOKEN_FILE})
  It prints the env block (CLERK_API_URL, CLERK_SECRET_KEY, …) to export.

Talk to a running one: --url <url>, else $CLERK_STAND_IN_URL, $CLERK_STAND_IN_PORT, the URL in
${DEFAULT_CONTROL_TOKEN_FILE}, http://127.0.0.1:4010. Its control token: --token <t>, else
$CLERK_STAND_IN_CONTROL_TOKEN, else that file (written by npm run dev and by start; --token-file <file>).
  users                                  the users, as a table (times in UTC)
  deliveries [--state failed]            the webhook delivery log, as a table
  update <id> [--first-name <s>] [--last-name <s>] [--email <address>]
                                         a "dashboard" edit; the app hears user.updated
  delete <id>                            delete a user; the app hears user.deleted
  seed <file.json> [--emit]              load users; --emit sends user.created webhooks
  seed --count <n> [--emit]              generate n realistic users
  orgs                                   the organizations, as a table
  members <org>                          an organization's members and their roles, as a table
                                         (<org>, here and below: an org_… id or the slug)
  org create <name> [--slug <s>] [--by <user_…>]
                                         the app hears organization.created; with --by, that user is
                                         its admin and the app hears organizationMembership.created too
  org update <org> [--name <s>] [--slug <s>]
                                         the app hears organization.updated
  org delete <org>                       its memberships go with it; the app hears organization.deleted
  member add <org> <user> [--role admin|member]
                                         (member by default) the app hears organizationMembership.created
  member role <org> <user> admin|member  the app hears organizationMembership.updated
  member remove <org> <user>             the app hears organizationMembership.deleted
  wait                                   block until every delivery has settled
  fault deliveries --fail 2 | --drop 1 | --duplicate 1 | --reorder 3
  fault api --mode 500|429|hang [--count n] [--retry-after s]
  fault clear
  config                                 keys and URLs of the running stand-in
  env                                    the app's environment as export lines:
                                           eval "$(npm run -s clerk:stand-in -- env)"
  reset [--state-file <file>]            users, organizations, sessions, deliveries and faults (keys stay); with no stand-in
                                         running, empties the state file itself, keys included
  --json                                 with any of these: the control API's answer as JSON, for scripts
`;

interface CommandInput {
  positionals: string[];
  values: CommandValues;
  control: Control;
}

type CommandValues = ReturnType<typeof parseCommand>["values"];

/** A command's result, printed as JSON with `--json`, else by `text` for people. */
interface Command {
  run(input: CommandInput): Promise<unknown>;
  text(result: unknown, input: CommandInput): string;
}

function command<T>(
  run: (input: CommandInput) => Promise<T>,
  text: (result: T, input: CommandInput) => string,
): Command {
  // `text` only ever receives what its own `run` returned.
  return { run, text: text as Command["text"] };
}

const COMMANDS: Record<string, Command> = {
  reset: command(
    ({ values, control }) => reset(values["state-file"], control),
    (result) => formatReset(result),
  ),
  seed: command(
    async ({ values, positionals, control }) => {
      const body = values.count
        ? { count: Number(values.count), emit: values.emit }
        : { users: readUsers(positionals[0]), emit: values.emit };
      const result = (await control("/_control/seed", "POST", body)) as { count: number };
      return { seeded: result.count };
    },
    (result, { values }) => formatSeeded(result, values.emit),
  ),
  users: command(
    ({ control }) => control("/_control/users") as Promise<UserList>,
    (list) => formatUsers(list),
  ),
  update: command(
    ({ positionals, values, control }) =>
      control(userPath(positionals[0], "update"), "PATCH", userPatch(values)) as Promise<ClerkUserJSON>,
    (user) => formatUpdated(user),
  ),
  delete: command(
    ({ positionals, control }) => control(userPath(positionals[0], "delete"), "DELETE") as Promise<{ id: string }>,
    (result) => formatDeleted(result),
  ),
  orgs: command(
    ({ control }) => control("/_control/organizations") as Promise<OrganizationList>,
    (list) => formatOrganizations(list),
  ),
  members: command(
    ({ positionals, control }) =>
      control(`${organizationPath(positionals[0], "members")}/memberships`) as Promise<MembershipList>,
    (list) => formatMembers(list),
  ),
  org: command(
    ({ positionals, values, control }) =>
      organizationCommand(positionals, values, control) as Promise<ClerkOrganizationJSON>,
    (result, { positionals }) => formatOrganizationChange(positionals[0] as OrganizationAction, result),
  ),
  member: command(
    ({ positionals, values, control }) =>
      membershipCommand(positionals, values, control) as Promise<ClerkOrganizationMembershipJSON>,
    (result, { positionals }) => formatMembershipChange(positionals[0] as MembershipAction, result),
  ),
  deliveries: command(
    ({ values, control }) =>
      control(
        `/_control/deliveries${values.state ? `?state=${encodeURIComponent(values.state)}` : ""}`,
      ) as Promise<DeliveryLog>,
    (log, { values }) => formatDeliveries(log, values.state),
  ),
  wait: command(
    ({ control }) => control("/_control/deliveries/wait", "POST") as Promise<{ pending: number }>,
    (result) => formatWait(result),
  ),
  config: command(
    ({ control }) => control("/_control/config") as Promise<StandInConfig>,
    (config) => formatConfig(config),
  ),
  env: command(
    async ({ control }) => appEnvironment(((await control("/_control/config")) as StandInConfig).env),
    (env) => formatExports(env),
  ),
  fault: command(
    ({ positionals, values, control }) => fault(positionals[0], values, control) as Promise<FaultSnapshot>,
    (faults) => formatFaults(faults),
  ),
};

async function main(argv: string[]): Promise<void> {
  const [name = "start", ...rest] = argv[0]?.startsWith("--") ? ["start", ...argv] : argv;
  if (name === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return;
  }
  if (name === "start") return start(rest);
  const chosen = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!chosen) {
    process.stderr.write(`Unknown command: ${name}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const { values, positionals } = parseCommand(rest);
  const target = resolveControlTarget({ url: values.url, token: values.token, tokenFile: values["token-file"] });
  const input: CommandInput = {
    values,
    positionals,
    control: (path, method = "GET", body) => callControl(target, path, method, body),
  };
  const result = await chosen.run(input);
  process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : chosen.text(result, input)}\n`);
}

function parseCommand(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      url: { type: "string" },
      token: { type: "string" },
      "token-file": { type: "string" },
      "first-name": { type: "string" },
      "last-name": { type: "string" },
      email: { type: "string" },
      emit: { type: "boolean", default: false },
      count: { type: "string" },
      state: { type: "string" },
      fail: { type: "string" },
      drop: { type: "string" },
      duplicate: { type: "string" },
      reorder: { type: "string" },
      mode: { type: "string" },
      "retry-after": { type: "string" },
      "state-file": { type: "string", default: DEFAULT_STATE_FILE },
      name: { type: "string" },
      slug: { type: "string" },
      by: { type: "string" },
      role: { type: "string" },
    },
  });
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "4010" },
      "webhook-url": { type: "string", multiple: true },
      "webhook-secret": { type: "string" },
      seed: { type: "string" },
      "time-scale": { type: "string", default: "1" },
      "frontend-host": { type: "string" },
      test: { type: "boolean", default: false },
      "state-file": { type: "string", default: DEFAULT_STATE_FILE },
      ephemeral: { type: "boolean", default: false },
      "app-origin": { type: "string", multiple: true, default: ["http://localhost:3000"] },
      "token-file": { type: "string", default: DEFAULT_CONTROL_TOKEN_FILE },
      latency: { type: "string" },
      "rate-limit": { type: "string" },
    },
  });
  const rateLimit = values["rate-limit"];
  if (rateLimit !== undefined && rateLimit !== "production" && rateLimit !== "development") {
    throw new Error(
      `--rate-limit must be production (1000 requests / 10 s) or development (100 / 10 s), not "${rateLimit}"`,
    );
  }
  const standIn = await startClerkStandIn({
    latency: values.latency,
    rateLimit,
    port: Number(values.port),
    webhookUrls: values["webhook-url"],
    webhookSecret: values["webhook-secret"],
    seedFile: values.seed,
    timeScale: Number(values["time-scale"]),
    // The same shape as `npm run dev`'s stand-in (docs/decisions/003): a pk_live_ key
    // naming this server, and browser URLs on "localhost" so cookies reach the app.
    frontendHost: values["frontend-host"] ?? ((url) => new URL(url).host),
    publishableKeyKind: values.test ? "test" : "live",
    frontend: { browserHostname: "localhost", allowedOrigins: values["app-origin"] },
    controlTokenFile: values["token-file"],
    logger: consoleLogger,
    stateFile: values.ephemeral ? undefined : values["state-file"],
  });
  process.stdout.write(
    values.ephemeral
      ? "\n# State: memory only (--ephemeral)\n"
      : `\n# State: ${values["state-file"]} (users, sessions, keys; \`reset\` starts over, --ephemeral keeps nothing)\n`,
  );
  process.stdout.write(
    `\n# Clerk stand-in on ${standIn.url} — paste into your shell or .env (or: eval "$(npm run -s clerk:stand-in -- env)"):\n` +
      `${formatExports(appEnvironment(standIn.env()))}\n\n`,
  );
  process.stdout.write(
    `# Its control token (for /_control and /fapi/_testing; also in ${values["token-file"]}, 0600):\n` +
      `${formatExports({ CLERK_STAND_IN_CONTROL_TOKEN: standIn.controlToken })}\n\n`,
  );
  const stop = () => void standIn.close().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

async function fault(kind: string | undefined, values: Record<string, unknown>, control: Control) {
  if (kind === "clear") return control("/_control/faults", "DELETE");
  if (kind === "deliveries") {
    const counts: Record<string, number> = {};
    for (const key of ["fail", "drop", "duplicate", "reorder"])
      if (values[key] !== undefined) counts[key] = Number(values[key]);
    return control("/_control/faults", "POST", { deliveries: counts });
  }
  if (kind === "api") {
    return control("/_control/faults", "POST", {
      api: {
        mode: values.mode,
        ...(values.count !== undefined ? { count: Number(values.count) } : {}),
        ...(values["retry-after"] !== undefined ? { retry_after: Number(values["retry-after"]) } : {}),
      },
    });
  }
  throw new Error(`fault needs deliveries, api or clear\n\n${HELP}`);
}

/** The running stand-in resets itself (its keys stay, the app uses them); with none running, the file starts over. */
async function reset(statePath: string, control: Control): Promise<ResetResult> {
  try {
    return (await control("/_control/reset", "POST")) as ResetResult;
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== "ECONNREFUSED") throw error;
  }
  const erased = StateFile.erase(statePath, consoleLogger);
  return { ok: true, stateFile: statePath, erased: erased ?? "nothing (no state file)" };
}

function userPath(id: string | undefined, command: string): string {
  if (!id)
    throw new Error(`${command} needs a user id (user_…): clerk-stand-in ${command} <id>; \`users\` lists them.`);
  return `/_control/users/${encodeURIComponent(id)}`;
}

/** The control API's dashboard edit: names, and the primary email replaced. */
function userPatch(values: { "first-name"?: string; "last-name"?: string; email?: string }): Record<string, string> {
  const patch: Record<string, string> = {};
  if (values["first-name"] !== undefined) patch.first_name = values["first-name"];
  if (values["last-name"] !== undefined) patch.last_name = values["last-name"];
  if (values.email !== undefined) patch.primary_email_address = values.email;
  if (Object.keys(patch).length === 0)
    throw new Error("update needs at least one of --first-name, --last-name, --email");
  return patch;
}

function readUsers(path: string | undefined): unknown[] {
  if (!path) throw new Error("seed needs a file or --count");
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  return Array.isArray(parsed) ? parsed : (parsed as { users: unknown[] }).users;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
