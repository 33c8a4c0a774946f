import { Form, useNavigation } from "@remix-run/react";
import type { MouseEvent } from "react";
import { useRetryCountdown } from "./use-profile-status";

/** What a Sync action answers: a sentence, and on failure how long Clerk asked to wait. */
export type SyncActionData =
  { ok: true; message: string } | { ok: false; message: string; retryAfterSeconds: number | null };

/** Whether this page's Sync is under way (its form sent, or the loaders re-running after it), and the 429's wait. */
export function useSyncState(intent: string, actionData: SyncActionData | undefined) {
  const navigation = useNavigation();
  const syncing = navigation.state !== "idle" && navigation.formData?.get("intent") === intent;
  const waitSeconds = useRetryCountdown(actionData, actionData && !actionData.ok ? actionData.retryAfterSeconds : null);
  return { syncing, waitSeconds };
}

/**
 * A Sync button with its live region, the same on every page: pending while the action and the loaders run,
 * counting down a 429's Retry-After, the outcome announced in `role="status"` and a failure in `role="alert"`.
 */
export function SyncControls({
  intent,
  label,
  actionData,
  idleStatus = "",
}: {
  intent: string;
  label: string;
  actionData: SyncActionData | undefined;
  /** What the live region says before any Sync on this page. */
  idleStatus?: string;
}) {
  const { syncing, waitSeconds } = useSyncState(intent, actionData);
  const unavailable = syncing || waitSeconds > 0;
  // aria-disabled rather than disabled: a disabled button drops keyboard focus to <body>.
  const ignoreWhileUnavailable = (event: MouseEvent<HTMLButtonElement>) => {
    if (unavailable) event.preventDefault();
  };
  const status = syncing ? "Syncing with Clerk…" : actionData?.ok ? actionData.message : !actionData ? idleStatus : "";

  return (
    <>
      <Form method="post" className="sync-form">
        <button
          type="submit"
          name="intent"
          value={intent}
          className="button"
          aria-disabled={unavailable}
          onClick={ignoreWhileUnavailable}
        >
          {syncing ? "Syncing…" : waitSeconds > 0 ? `${label} (wait ${waitSeconds} s)` : label}
        </button>
      </Form>
      {/* Always in the page, so screen readers announce what is put into it. */}
      <p className={status ? "status success" : "status empty"} role="status" data-field="sync-status">
        {status}
      </p>
      {actionData && !actionData.ok && !syncing ? (
        <p className="status error" role="alert">
          {actionData.message}
        </p>
      ) : null}
    </>
  );
}
