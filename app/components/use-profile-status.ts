import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";

/** How often the page asks again while the row is missing, and for how long before it gives up. */
export const ROW_POLL_INTERVAL_MS = 2_000;
export const ROW_WAIT_MS = 60_000;

/**
 * While the signed-in user's row has not arrived (its webhook is on the way),
 * re-run the loaders every 2 s so the profile shows the moment it lands; after
 * a minute stop and let the page say so, and `checkAgain()` starts over.
 */
export function useRevalidateWhileMissing(missing: boolean) {
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const [startedAt, setStartedAt] = useState(() => Date.now());
  const [gaveUp, setGaveUp] = useState(false);
  const idle = revalidator.state === "idle";

  useEffect(() => {
    if (!missing || gaveUp || !idle) return;
    const timer = setTimeout(() => {
      if (Date.now() - startedAt >= ROW_WAIT_MS) setGaveUp(true);
      else revalidate.current();
    }, ROW_POLL_INTERVAL_MS);
    return () => clearTimeout(timer);
    // `idle` flips after every revalidation, which schedules the next one.
  }, [missing, gaveUp, idle, startedAt]);

  return {
    waiting: missing && !gaveUp,
    gaveUp: missing && gaveUp,
    checkAgain() {
      setStartedAt(Date.now());
      setGaveUp(false);
      revalidate.current();
    },
  };
}

/** True once `present` turns true after having been false on this page: "it just arrived". */
export function useArrived(present: boolean) {
  const wasMissing = useRef(!present);
  const [arrived, setArrived] = useState(false);
  useEffect(() => {
    if (!present) wasMissing.current = true;
    else if (wasMissing.current) {
      wasMissing.current = false;
      setArrived(true);
    }
  }, [present]);
  return arrived;
}

/**
 * Seconds left before Clerk's Retry-After has passed, counting down once a
 * second; 0 when there is nothing to wait for. `key` is the action result, so
 * a new 429 starts a new countdown.
 */
export function useRetryCountdown(key: unknown, retryAfterSeconds: number | null | undefined) {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    if (!retryAfterSeconds || retryAfterSeconds <= 0) {
      setLeft(0);
      return;
    }
    const until = Date.now() + retryAfterSeconds * 1000;
    const tick = () => setLeft(Math.max(0, Math.ceil((until - Date.now()) / 1000)));
    tick();
    const timer = setInterval(() => {
      tick();
      if (Date.now() >= until) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [key, retryAfterSeconds]);
  return left;
}
