import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { WebhookDeliveries } from "./webhooks/deliveries.js";
import { FaultSwitches } from "./control/faults.js";
import { parseLatency, type Latency } from "./backend-api/latency.js";
import type { BackendApiObserver } from "./backend-api/routes.js";
import { BackendApiRateLimit, type RateLimitSetting } from "./backend-api/rate-limit.js";
import * as frontend from "./frontend-api/frontend-api.js";
import { refuseMalformedHost } from "./guards.js";
import { standInRoutes } from "./routes.js";
import { generateControlToken, removeControlTokenFile, writeControlTokenFile } from "./control/control-token.js";
import { openInstance } from "./instance.js";
import type { InstanceKeys } from "./keys.js";
import { silentLogger, type Logger } from "./logger.js";
import { OrganizationStore } from "./store/organizations.js";
import { UserStore, type SeedUser } from "./store/store.js";

export interface StandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: "127.0.0.1";
  webhookUrls?: string[];
  /** Generated (whsec_…) when absent. */
  webhookSecret?: string;
  /** Multiplies Svix's retry gaps; 0.001 turns 5 s into 5 ms. */
  timeScale?: number;
  /** JSON: an array of users or { users }; seeded without webhooks. */
  seedFile?: string;
  /**
   * Host encoded in the publishable key (the Frontend API's host as the browser
   * reaches it). A function receives the server's base URL once it listens.
   * Default: `<127.0.0.1:port>/fapi`.
   */
  frontendHost?: string | ((baseUrl: string) => string);
  /** `pk_live_` avoids clerk-js's development-browser handshake; see the FAPI notes. */
  publishableKeyKind?: "test" | "live";
  secretKey?: string;
  instanceId?: string;
  deliveryConcurrency?: number;
  deliveryTimeoutMs?: number;
  logger?: Logger;
  /** Settings of the Frontend API part (sign-in/up URLs, email verification, browser host name). */
  frontend?: frontend.FrontendOptions;
  /**
   * SQLite file keeping users, sessions, keys, secrets, endpoints and the
   * delivery log across restarts (created 0600). Absent: memory only.
   */
  stateFile?: string;
  /** The token the control routes and `/fapi/_testing/sign-in` require (`Authorization: Bearer …`). Generated when absent. */
  controlToken?: string;
  /** Writes `{ url, token }` here (0600) once listening, for the CLI; removed on close. */
  controlTokenFile?: string;
  /** Backend API answers wait this long (`{ fixedMs: 150, jitterMs: 50 }` or "150ms±50"); none by default. */
  latency?: Latency | string;
  /** Clerk's Backend API rate limit per secret key ("production": 1000/10 s, "development": 100/10 s); none by default. */
  rateLimit?: RateLimitSetting;
}

export interface ClerkStandIn {
  url: string;
  port: number;
  store: UserStore;
  /** Organizations and memberships; they follow the users (a user's deletion ends their memberships). */
  organizations: OrganizationStore;
  keys: InstanceKeys;
  deliveries: WebhookDeliveries;
  faults: FaultSwitches;
  /** The Backend API's rate limit when one is set (`rejected` counts its 429s). */
  rateLimit: BackendApiRateLimit | null;
  /** Hears every Backend API request as it arrives and as it is answered; returns the way to stop. */
  observeBackendApi(observer: BackendApiObserver): () => void;
  webhookSecret: string;
  instanceId: string;
  options: StandInOptions;
  /** What an app needs: CLERK_API_URL, CLERK_SECRET_KEY, CLERK_PUBLISHABLE_KEY, CLERK_JWT_KEY, CLERK_WEBHOOK_SIGNING_SECRET (+ the Frontend API's). */
  env(): Record<string, string>;
  addWebhookUrl(url: string): void;
  /** The per-run token of the control routes and the testing sign-in. */
  controlToken: string;
  /** Lets the Frontend API answer CORS for one more app origin (e.g. an app started after the stand-in). */
  allowOrigin(origin: string): void;
  close(): Promise<void>;
}

type FrontendEnv = (ctx: frontend.FrontendContext) => Record<string, string>;

export async function startClerkStandIn(options: StandInOptions = {}): Promise<ClerkStandIn> {
  const host = options.host ?? "127.0.0.1";
  const logger = options.logger ?? silentLogger;
  const instance = openInstance(options, logger);
  const { webhookSecret, instanceId } = instance;
  const store = new UserStore(instance.stateFile);
  // Made before the deliveries listen, so a user's deletion sends their memberships' deletions first.
  const organizations = new OrganizationStore(store);
  const faults = new FaultSwitches();
  const latency = typeof options.latency === "string" ? parseLatency(options.latency) : options.latency;
  const rateLimit = options.rateLimit ? new BackendApiRateLimit(options.rateLimit) : null;
  const deliveries = new WebhookDeliveries({
    secret: webhookSecret,
    instanceId,
    endpoints: options.webhookUrls,
    faults,
    timeScale: options.timeScale ?? 1,
    concurrency: options.deliveryConcurrency,
    requestTimeoutMs: options.deliveryTimeoutMs,
    logger,
    stateFile: instance.stateFile,
  });
  deliveries.attach(store);
  deliveries.attach(organizations);
  if (options.seedFile) store.seed(readSeedFile(options.seedFile));

  // Routing needs keys and URL, which exist only once the port is known.
  let handle: (req: IncomingMessage, res: ServerResponse) => unknown = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  // Every delivery to the app and every SDK call reuse connections; without
  // this a 100k backfill would exhaust ephemeral ports.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  const frontendHost =
    typeof options.frontendHost === "function"
      ? options.frontendHost(url)
      : (options.frontendHost ?? `${host}:${port}/fapi`);
  const keys = instance.createKeys({ frontendHost, live: options.publishableKeyKind === "live" });
  const frontendContext: frontend.FrontendContext = { store, organizations, keys, options, url };
  const frontendEnv = (frontend as { frontendEnv?: FrontendEnv }).frontendEnv;
  const controlToken = options.controlToken ?? generateControlToken();
  // CORS is for the app's origins only: any other page must not read a signed-in user's client.
  const allowedOrigins = new Set((options.frontend?.allowedOrigins ?? []).map(originOf));

  const observers = new Set<BackendApiObserver>();
  const standIn: ClerkStandIn = {
    url,
    port,
    store,
    organizations,
    keys,
    deliveries,
    faults,
    rateLimit,
    observeBackendApi: (observer) => {
      observers.add(observer);
      return () => void observers.delete(observer);
    },
    webhookSecret,
    instanceId,
    options,
    env: () => ({
      CLERK_API_URL: url,
      CLERK_SECRET_KEY: keys.secretKey,
      CLERK_PUBLISHABLE_KEY: keys.publishableKey,
      CLERK_JWT_KEY: keys.publicKeyPemSingleLine,
      CLERK_WEBHOOK_SIGNING_SECRET: webhookSecret,
      ...(frontendEnv?.(frontendContext) ?? {}),
    }),
    addWebhookUrl: (webhookUrl) => deliveries.addEndpoint(webhookUrl),
    controlToken,
    allowOrigin: (origin) => void allowedOrigins.add(originOf(origin)),
    close: async () => {
      if (options.controlTokenFile) removeControlTokenFile(options.controlTokenFile, controlToken);
      deliveries.close();
      faults.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      instance.stateFile?.close();
    },
  };

  const controlContext = {
    store,
    organizations,
    deliveries,
    faults,
    addWebhookUrl: standIn.addWebhookUrl,
    config: () => ({
      apiUrl: url,
      secretKey: keys.secretKey,
      publishableKey: keys.publishableKey,
      jwtKey: keys.publicKeyPem,
      webhookSecret,
      instanceId,
      endpoints: deliveries.endpoints,
      timeScale: options.timeScale ?? 1,
      env: standIn.env(),
    }),
  };

  const routes = standInRoutes({
    backendApi: {
      store,
      organizations,
      keys,
      faults,
      latency: () => latency,
      rateLimit: rateLimit ?? undefined,
      observers,
    },
    control: controlContext,
    frontend: frontendContext,
    allowsFrontendOrigin: (origin) => allowedOrigins.has(origin),
    controlToken,
    port,
  });
  // Leaves the process's global Request/Response alone: the stand-in often shares a process with the code under test.
  const listener = getRequestListener(routes.fetch, { overrideGlobalObjects: false });
  handle = (req, res) => refuseMalformedHost(req, res) || listener(req, res);

  if (options.controlTokenFile) writeControlTokenFile(options.controlTokenFile, { url, token: controlToken });
  logger.info(`listening on ${url} (webhooks → ${deliveries.endpoints.join(", ") || "none yet"})`);
  return standIn;
}

/** `http://localhost:3000/` and `http://localhost:3000` are one origin. */
function originOf(url: string): string {
  return new URL(url).origin;
}

function readSeedFile(path: string): SeedUser[] {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as unknown;
  if (Array.isArray(parsed)) return parsed as SeedUser[];
  if (parsed && typeof parsed === "object" && Array.isArray((parsed as { users?: unknown }).users)) {
    return (parsed as { users: SeedUser[] }).users;
  }
  throw new Error(`${path}: expected an array of users or { users: [...] }`);
}
