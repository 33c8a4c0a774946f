export interface ClerkEventOptions {
  /** ms since epoch; defaults to now. */
  timestamp?: number;
  instanceId?: string;
  /** What Clerk records of the request that caused the event. */
  clientIp?: string;
  userAgent?: string;
}

export interface ClerkEvent<D> {
  data: D;
  event_attributes: { http_request: { client_ip: string; user_agent: string } };
  instance_id: string;
  object: "event";
  timestamp: number;
  type: string;
}

/** Clerk's webhook envelope around `data` (a user, a deleted user, a session…), as Svix delivers it. */
export function clerkEvent<D>(type: string, data: D, options: ClerkEventOptions = {}): ClerkEvent<D> {
  return {
    data,
    event_attributes: {
      http_request: { client_ip: options.clientIp ?? "127.0.0.1", user_agent: options.userAgent ?? "clerk-stand-in" },
    },
    instance_id: options.instanceId ?? "ins_test",
    object: "event",
    timestamp: options.timestamp ?? Date.now(),
    type,
  };
}
