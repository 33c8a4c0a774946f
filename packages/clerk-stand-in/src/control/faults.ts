export interface DeliveryFaultCounts {
  /** The next N delivery attempts fail without sending (endpoint unreachable), so Svix-style retries follow. */
  fail: number;
  /** The next N messages are never sent nor retried: the "missed webhook". */
  drop: number;
  /** The next N messages are sent twice with the same svix-id. */
  duplicate: number;
  /** The next N messages are held, then sent one by one in reverse order. */
  reorder: number;
}

export type ApiFaultMode = "500" | "429" | "hang";

export interface ApiFault {
  mode: ApiFaultMode;
  /** Requests still to be affected; null = until cleared. */
  remaining: number | null;
  retry_after: number;
}

/** The fault switches of one stand-in, shared by the Backend API and the delivery worker. */
export class FaultSwitches {
  deliveries: DeliveryFaultCounts = { fail: 0, drop: 0, duplicate: 0, reorder: 0 };
  api: ApiFault | null = null;
  private readonly hung = new Set<() => void>();
  private readonly reorderListeners = new Set<(count: number) => void>();

  setDeliveryFaults(counts: Partial<DeliveryFaultCounts>): void {
    for (const key of ["fail", "drop", "duplicate", "reorder"] as const) {
      const value = counts[key];
      if (value !== undefined) this.deliveries[key] = Math.max(0, Math.floor(value));
    }
    if (counts.reorder !== undefined) for (const listener of this.reorderListeners) listener(this.deliveries.reorder);
  }

  onReorderSet(listener: (count: number) => void): void {
    this.reorderListeners.add(listener);
  }

  /** Uses up one unit of a delivery fault; true when this message or attempt is affected. */
  takeDeliveryFault(kind: keyof DeliveryFaultCounts): boolean {
    if (this.deliveries[kind] <= 0) return false;
    this.deliveries[kind]--;
    return true;
  }

  setApiFault(mode: ApiFaultMode, count?: number | null, retryAfterSeconds?: number): void {
    this.api = { mode, remaining: count ?? null, retry_after: retryAfterSeconds ?? 1 };
  }

  takeApiFault(): ApiFault | null {
    const fault = this.api;
    if (!fault) return null;
    if (fault.remaining !== null) {
      fault.remaining--;
      if (fault.remaining <= 0) this.api = null;
    }
    return fault;
  }

  /** A "hang" fault: the request waits here until the switches are cleared. */
  waitUntilCleared(): Promise<void> {
    return new Promise((resolve) => this.hung.add(resolve));
  }

  get hungRequests(): number {
    return this.hung.size;
  }

  clear(): void {
    this.deliveries = { fail: 0, drop: 0, duplicate: 0, reorder: 0 };
    this.api = null;
    for (const listener of this.reorderListeners) listener(0);
    const waiting = [...this.hung];
    this.hung.clear();
    for (const resume of waiting) resume();
  }

  snapshot() {
    return { deliveries: { ...this.deliveries }, api: this.api && { ...this.api }, hung_requests: this.hung.size };
  }
}
