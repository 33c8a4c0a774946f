import { clerkErrorFromAnswer, type ClerkError } from "~/clerk/clerk-errors.server";
import { DEFAULT_RETRY_POLICY, type RetryEvent, type RetryPolicy } from "~/backfill/retry.server";

/** What the retry tests script a call to answer, and a policy that records its waits instead of taking them. */

export const serverError = () => clerkErrorFromAnswer(500, [], undefined);
export const rateLimited = (seconds: number) => clerkErrorFromAnswer(429, [], seconds);

/** A call that fails with each of `answers` in turn, then succeeds. */
export function scripted(answers: ClerkError[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    call: async () => {
      const answer = answers[calls++];
      if (answer) throw answer;
      return "page";
    },
  };
}

/** The default policy, with every wait recorded and none taken, and every retry event. */
export function recording(overrides: Partial<RetryPolicy> = {}) {
  const waits: number[] = [];
  const events: RetryEvent[] = [];
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, sleep: async (ms) => void waits.push(ms), ...overrides };
  return { policy, waits, events, onRetry: (event: RetryEvent) => events.push(event) };
}
