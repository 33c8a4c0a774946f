import type { MiddlewareHandler } from "hono";
import type { StandInEnv } from "../http-util.js";

/**
 * Backend API latency: real Clerk answers a page of users in roughly
 * 100–300 ms, the stand-in in microseconds. A tool tuned against microseconds
 * (one page in flight at a time) is slow against Clerk; a delay here shows it.
 */

export interface Latency {
  fixedMs: number;
  /** Each answer takes fixedMs ± up to jitterMs, uniformly. */
  jitterMs: number;
}

const LATENCY = /^\s*(\d+(?:\.\d+)?)\s*(?:ms)?\s*(?:(?:±|\+-|\+\/-)\s*(\d+(?:\.\d+)?)\s*(?:ms)?)?\s*$/;

/** `150ms±50`, `150±50`, `150ms+-50ms`, `150` (no jitter), `0` (none). */
export function parseLatency(text: string): Latency {
  const match = LATENCY.exec(text);
  if (!match) throw new Error(`latency must look like 150ms±50 (fixed ± jitter, in milliseconds), not "${text}"`);
  const fixedMs = Number(match[1]);
  const jitterMs = Number(match[2] ?? 0);
  if (jitterMs > fixedMs)
    throw new Error(`latency jitter (${jitterMs} ms) cannot exceed the fixed part (${fixedMs} ms)`);
  return { fixedMs, jitterMs };
}

export function latencyDelayMs(latency: Latency, random: () => number = Math.random): number {
  return Math.max(0, latency.fixedMs + (random() * 2 - 1) * latency.jitterMs);
}

export function waitLatency(latency: Latency | undefined): Promise<void> | undefined {
  if (!latency || (latency.fixedMs === 0 && latency.jitterMs === 0)) return undefined;
  return new Promise((resolve) => setTimeout(resolve, latencyDelayMs(latency)));
}

/** Hono middleware: every Backend API answer waits `latency` (read per request, so it can change at run time). */
export function latencyMiddleware(latency: () => Latency | undefined): MiddlewareHandler<StandInEnv> {
  return async (_c, next) => {
    await waitLatency(latency());
    await next();
  };
}
