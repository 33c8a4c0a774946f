import type { FaultSwitches } from "../control/faults.js";
import { newId } from "../ids.js";
import type { Logger } from "../logger.js";
import type { OrganizationChange } from "../store/organizations.js";
import type { StateFile } from "../store/state-file.js";
import type { ChangeContext, UserChange } from "../store/store.js";
import { clerkEvent } from "../testing/clerk-event.js";
import { deletedClerkOrganization } from "../testing/clerk-organization.js";
import { deletedClerkUser } from "../testing/clerk-user.js";
import { signDelivery } from "../testing/sign-delivery.js";

/** Svix's published schedule: the first attempt, then these gaps after each failure. */
export const SVIX_RETRY_DELAYS_MS = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

export type DeliveryState = "pending" | "succeeded" | "failed" | "dropped";

export interface DeliveryAttempt {
  at: number;
  status?: number;
  error?: string;
  latency_ms: number;
  /** The extra copy sent by the `duplicate` fault. */
  duplicate?: boolean;
}

/** Every change that becomes a webhook. */
export type StandInChange = UserChange | OrganizationChange;

/** Where changes come from: the user store and the organization store. */
export interface ChangeSource {
  on(listener: (change: StandInChange) => void): () => void;
}

/**
 * One message to one endpoint. `id` is the svix-id, shared by every endpoint and every attempt.
 * `user_id` names the user of a `user.*` event and the member of an `organizationMembership.*`
 * one; `organization_id` the organization of both organization kinds.
 */
export interface DeliveryRecord {
  id: string;
  type: StandInChange["type"];
  user_id?: string;
  organization_id?: string;
  endpoint: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  next_attempt_at: number | null;
  fault?: "dropped" | "duplicated" | "reordered";
}

interface PendingDelivery {
  record: DeliveryRecord;
  payload: string;
  /** Still owes the extra copy of the `duplicate` fault. */
  duplicate: boolean;
}

export interface WebhookDeliveriesOptions {
  secret: string;
  instanceId: string;
  endpoints?: string[];
  faults: FaultSwitches;
  /** Multiplies every retry gap: 0.001 turns Svix's 5 s into 5 ms. */
  timeScale?: number;
  /** In-flight requests per endpoint; bursts go out concurrently, as Svix's do. */
  concurrency?: number;
  requestTimeoutMs?: number;
  /** Oldest finished records are forgotten beyond this many. */
  logLimit?: number;
  logger?: Logger;
  /**
   * Keeps the log and the endpoints across restarts; deliveries still pending
   * at shutdown resume on the next start, as Svix keeps retrying while a
   * receiver is down.
   */
  stateFile?: StateFile | null;
}

/** Turns store changes into Svix-signed Clerk webhook deliveries with Svix's retry behaviour. */
export class WebhookDeliveries {
  readonly endpoints: string[];
  private readonly log: DeliveryRecord[] = [];
  private readonly slots = new Map<string, { inFlight: number; queue: Array<() => void> }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: Array<() => void> = [];
  private held: PendingDelivery[][] = [];
  private pending = 0;
  private closed = false;

  constructor(private readonly options: WebhookDeliveriesOptions) {
    const { stateFile } = options;
    // Endpoints named at start are this run's configuration; remembered ones serve a start that names none.
    this.endpoints = options.endpoints?.length ? [...options.endpoints] : (stateFile?.webhookEndpoints() ?? []);
    stateFile?.saveWebhookEndpoints(this.endpoints);
    if (stateFile) this.resume(stateFile);
    options.faults.onReorderSet((count) => {
      if (count === 0) this.releaseHeld();
    });
  }

  attach(source: ChangeSource): () => void {
    return source.on((change) => this.enqueue(change));
  }

  addEndpoint(url: string): void {
    if (this.endpoints.includes(url)) return;
    this.endpoints.push(url);
    this.options.stateFile?.saveWebhookEndpoints(this.endpoints);
  }

  records(
    filter: { state?: DeliveryState; user_id?: string; organization_id?: string; type?: string } = {},
  ): DeliveryRecord[] {
    return this.log
      .filter(
        (record) =>
          (!filter.state || record.state === filter.state) &&
          (!filter.user_id || record.user_id === filter.user_id) &&
          (!filter.organization_id || record.organization_id === filter.organization_id) &&
          (!filter.type || record.type === filter.type),
      )
      .map((record) => structuredClone(record));
  }

  get pendingCount(): number {
    return this.pending;
  }

  /** Resolves once nothing is queued, in flight or waiting for a retry. Held (reordered) messages are released first. */
  waitForIdle(): Promise<void> {
    this.releaseHeld();
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Empties the log (pending deliveries are abandoned); returns how many records it held. */
  reset(): number {
    const erased = this.log.length;
    this.stopAttempts();
    this.log.length = 0;
    this.options.stateFile?.clear(["deliveries"]);
    return erased;
  }

  /** Stops sending. The state file keeps pending deliveries as pending, for the next start to resume. */
  close(): void {
    this.closed = true;
    this.stopAttempts();
  }

  private stopAttempts(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held = [];
    // Attempts still in flight see a settled state and stop (in memory only: see close()).
    for (const record of this.log) if (record.state === "pending") record.state = "dropped";
    this.pending = 0;
    this.wakeIdleWaiters();
  }

  private resume(stateFile: StateFile): void {
    for (const { record, payload } of stateFile.loadDeliveries<DeliveryRecord>()) {
      this.log.push(record);
      if (record.state !== "pending") continue;
      this.pending++;
      const delay = Math.max(0, (record.next_attempt_at ?? 0) - Date.now());
      this.later(delay, () => void this.attempt({ record, payload, duplicate: false }));
    }
  }

  enqueue(change: StandInChange): void {
    if (this.endpoints.length === 0 || this.closed) return;
    const messageId = newId("msg");
    const payload = JSON.stringify(this.envelope(change));
    const { faults } = this.options;
    const dropped = faults.takeDeliveryFault("drop");
    const duplicate = !dropped && faults.takeDeliveryFault("duplicate");
    const reordered = !dropped && faults.takeDeliveryFault("reorder");
    const deliveries = this.endpoints.map((endpoint) => {
      const record: DeliveryRecord = {
        id: messageId,
        type: change.type,
        ...subjectOf(change),
        endpoint,
        state: dropped ? "dropped" : "pending",
        attempts: [],
        next_attempt_at: dropped ? null : Date.now(),
        ...(dropped
          ? { fault: "dropped" as const }
          : duplicate
            ? { fault: "duplicated" as const }
            : reordered
              ? { fault: "reordered" as const }
              : {}),
      };
      this.remember(record, payload);
      if (!dropped) this.pending++;
      return { record, payload, duplicate };
    });
    if (dropped) return;
    if (reordered) {
      this.held.push(deliveries);
      if (faults.deliveries.reorder === 0) this.releaseHeld();
      return;
    }
    for (const delivery of deliveries) void this.attempt(delivery);
  }

  private envelope(change: StandInChange) {
    const context: ChangeContext = change.context ?? {};
    return clerkEvent(change.type, eventData(change), {
      instanceId: this.options.instanceId,
      clientIp: context.clientIp ?? "",
      userAgent: context.userAgent ?? "",
    });
  }

  /** Sends the held batch newest-first, one message at a time, so the reversal reaches the endpoint intact. */
  private releaseHeld(): void {
    const batch = this.held.reverse();
    this.held = [];
    if (batch.length === 0) return;
    void (async () => {
      for (const deliveries of batch) await Promise.all(deliveries.map((delivery) => this.attempt(delivery)));
    })();
  }

  private async attempt(delivery: PendingDelivery): Promise<void> {
    const { record } = delivery;
    await this.acquire(record.endpoint);
    try {
      if (record.state !== "pending") return;
      const { ok, sent } = await this.sendOnce(delivery, false);
      if (delivery.duplicate && sent) {
        delivery.duplicate = false;
        await this.sendOnce(delivery, true);
      }
      if (record.state !== "pending") return;
      if (ok) this.finish(record, "succeeded");
      else this.scheduleRetry(delivery);
    } finally {
      this.release(record.endpoint);
    }
  }

  private async sendOnce(delivery: PendingDelivery, duplicate: boolean): Promise<{ ok: boolean; sent: boolean }> {
    const { record, payload } = delivery;
    const started = Date.now();
    const attempt: DeliveryAttempt = { at: started, latency_ms: 0, ...(duplicate ? { duplicate: true } : {}) };
    if (!duplicate && this.options.faults.takeDeliveryFault("fail")) {
      attempt.error = "simulated failure (fault switch): not sent";
      record.attempts.push(attempt);
      return { ok: false, sent: false };
    }
    try {
      const response = await fetch(record.endpoint, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Svix-Webhooks/1.0 (clerk-stand-in)",
          // Svix signs each attempt afresh: same svix-id, new timestamp.
          ...signDelivery(this.options.secret, payload, { svixId: record.id, timestamp: new Date(started) }),
        },
        body: payload,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 15_000),
      });
      await response.arrayBuffer();
      attempt.status = response.status;
      attempt.latency_ms = Date.now() - started;
      record.attempts.push(attempt);
      return { ok: response.status >= 200 && response.status < 300, sent: true };
    } catch (error) {
      attempt.error = describeFetchError(error);
      attempt.latency_ms = Date.now() - started;
      record.attempts.push(attempt);
      return { ok: false, sent: true };
    }
  }

  private scheduleRetry(delivery: PendingDelivery): void {
    const { record } = delivery;
    const failures = record.attempts.filter((attempt) => !attempt.duplicate).length;
    if (failures >= SVIX_RETRY_DELAYS_MS.length) {
      this.options.logger?.warn(`webhook ${record.id} to ${record.endpoint} failed after ${failures} attempts`);
      this.finish(record, "failed");
      return;
    }
    const delay = SVIX_RETRY_DELAYS_MS[failures] * (this.options.timeScale ?? 1);
    record.next_attempt_at = Date.now() + delay;
    this.options.stateFile?.updateDelivery(record);
    this.later(delay, () => void this.attempt(delivery));
  }

  private later(delay: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delay);
    // A retry hours away must not keep a finished test run or CLI alive.
    timer.unref();
    this.timers.add(timer);
  }

  private finish(record: DeliveryRecord, state: DeliveryState): void {
    record.state = state;
    record.next_attempt_at = null;
    this.options.stateFile?.updateDelivery(record);
    this.pending--;
    if (this.pending === 0) this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private remember(record: DeliveryRecord, payload: string): void {
    this.log.push(record);
    this.options.stateFile?.saveDelivery(record, payload);
    const limit = this.options.logLimit ?? 100_000;
    if (this.log.length > limit) {
      const index = this.log.findIndex((entry) => entry.state !== "pending");
      if (index >= 0) this.options.stateFile?.deleteDelivery(this.log.splice(index, 1)[0]);
    }
  }

  private acquire(endpoint: string): Promise<void> {
    const slot = this.slots.get(endpoint) ?? { inFlight: 0, queue: [] };
    this.slots.set(endpoint, slot);
    if (slot.inFlight < (this.options.concurrency ?? 16)) {
      slot.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => slot.queue.push(resolve));
  }

  private release(endpoint: string): void {
    const slot = this.slots.get(endpoint);
    if (!slot) return;
    const next = slot.queue.shift();
    // Hand the slot straight to the next waiter so in-flight stays bounded.
    if (next) next();
    else slot.inFlight--;
  }
}

/** The `data` of the event: deletions of users and organizations carry only their id, as Clerk's do. */
function eventData(change: StandInChange): unknown {
  switch (change.type) {
    case "user.deleted":
      return deletedClerkUser(change.id);
    case "organization.deleted":
      return deletedClerkOrganization(change.id);
    case "user.created":
    case "user.updated":
      return change.user;
    case "organization.created":
    case "organization.updated":
      return change.organization;
    default:
      return change.membership;
  }
}

/** What the log files a message under, for filtering and for people reading it. */
function subjectOf(change: StandInChange): { user_id?: string; organization_id?: string } {
  switch (change.type) {
    case "user.deleted":
      return { user_id: change.id };
    case "user.created":
    case "user.updated":
      return { user_id: change.user.id };
    case "organization.deleted":
      return { organization_id: change.id };
    case "organization.created":
    case "organization.updated":
      return { organization_id: change.organization.id };
    default:
      return {
        user_id: change.membership.public_user_data.user_id,
        organization_id: change.membership.organization.id,
      };
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return "timeout: no answer within the request timeout";
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
