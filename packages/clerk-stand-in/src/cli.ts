import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { consoleLogger } from "./logger.js";
import { startClerkStandIn } from "./server.js";

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
  It prints the env block (CLERK_API_URL, CLERK_SECRET_KEY, …) to export.

Talk to a running one (default --url http://127.0.0.1:4010, or $CLERK_STAND_IN_URL):
  reset                                  users, deliveries and faults (keys stay)
  seed <file.json> [--emit]              load users; --emit sends user.created webhooks
  seed --count <n> [--emit]              generate n realistic users
  users                                  list users
  deliveries [--state failed]            the webhook delivery log
  wait                                   block until every delivery has settled
  fault deliveries --fail 2 | --drop 1 | --duplicate 1 | --reorder 3
  fault api --mode 500|429|hang [--count n] [--retry-after s]
  fault clear
  config                                 keys and URLs of the running stand-in
`;

async function main(argv: string[]): Promise<void> {
  const [command = "start", ...rest] = argv[0]?.startsWith("--") ? ["start", ...argv] : argv;
  if (command === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(HELP);
    return;
  }
  if (command === "start") return start(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: "string", default: process.env.CLERK_STAND_IN_URL ?? "http://127.0.0.1:4010" },
      emit: { type: "boolean", default: false },
      count: { type: "string" },
      state: { type: "string" },
      fail: { type: "string" },
      drop: { type: "string" },
      duplicate: { type: "string" },
      reorder: { type: "string" },
      mode: { type: "string" },
      "retry-after": { type: "string" },
    },
  });
  const control = (path: string, method = "GET", body?: unknown) => callControl(values.url!, path, method, body);

  switch (command) {
    case "reset":
      return print(await control("/_control/reset", "POST"));
    case "seed": {
      const body = values.count
        ? { count: Number(values.count), emit: values.emit }
        : { users: readUsers(positionals[0]), emit: values.emit };
      const result = (await control("/_control/seed", "POST", body)) as { count: number };
      return print({ seeded: result.count });
    }
    case "users":
      return print(await control("/_control/users"));
    case "deliveries":
      return print(await control(`/_control/deliveries${values.state ? `?state=${values.state}` : ""}`));
    case "wait":
      return print(await control("/_control/deliveries/wait", "POST"));
    case "config":
      return print(await control("/_control/config"));
    case "fault":
      return print(await fault(positionals[0], values, control));
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${HELP}`);
      process.exitCode = 2;
  }
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
    },
  });
  const standIn = await startClerkStandIn({
    port: Number(values.port),
    webhookUrls: values["webhook-url"],
    webhookSecret: values["webhook-secret"],
    seedFile: values.seed,
    timeScale: Number(values["time-scale"]),
    // The same shape as `npm run dev`'s stand-in (docs/decisions/003): a pk_live_ key
    // naming this server, and browser URLs on "localhost" so cookies reach the app.
    frontendHost: values["frontend-host"] ?? ((url) => new URL(url).host),
    publishableKeyKind: values.test ? "test" : "live",
    frontend: { browserHostname: "localhost" },
    logger: consoleLogger,
  });
  const env = Object.entries(standIn.env())
    .map(([key, value]) => `export ${key}='${value}'`)
    .join("\n");
  process.stdout.write(`\n# Clerk stand-in on ${standIn.url} — paste into your shell or .env:\n${env}\n\n`);
  const stop = async () => {
    await standIn.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

async function fault(kind: string | undefined, values: Record<string, unknown>, control: (path: string, method?: string, body?: unknown) => Promise<unknown>) {
  if (kind === "clear") return control("/_control/faults", "DELETE");
  if (kind === "deliveries") {
    const counts: Record<string, number> = {};
    for (const key of ["fail", "drop", "duplicate", "reorder"]) if (values[key] !== undefined) counts[key] = Number(values[key]);
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

function readUsers(path: string | undefined): unknown[] {
  if (!path) throw new Error("seed needs a file or --count");
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  return Array.isArray(parsed) ? parsed : (parsed as { users: unknown[] }).users;
}

async function callControl(baseUrl: string, path: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const result = (await response.json()) as unknown;
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${JSON.stringify(result)}`);
  return result;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
