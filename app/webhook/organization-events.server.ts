import {
  clerkOrganizationSchema,
  clerkOrganizationToRow,
  deletedClerkOrganizationSchema,
  type OrganizationEventType,
} from "~/clerk/clerk-organization";
import { tombstoneClerkOrganization, writeClerkOrganization } from "~/db/organization-writer.server";
import { futureDated, zodMessage, type EventHandling } from "./event-handler.server";

/** `organization.created`, `updated` and `deleted`; the ledger's `clerk_user_id` holds the organization's id. */
export function handleOrganizationEvent(type: OrganizationEventType, data: unknown, receivedAt: number): EventHandling {
  const dataId = typeof (data as { id?: unknown } | null)?.id === "string" ? (data as { id: string }).id : null;
  if (type === "organization.deleted") {
    const parsed = deletedClerkOrganizationSchema.safeParse(data);
    if (!parsed.success) return { ok: false, ledgerId: dataId, error: zodMessage(parsed.error) };
    const clerkId = parsed.data.id;
    if (!clerkId) {
      // Nothing to delete and nothing a retry could fix.
      return { ok: true, ledgerId: null, write: () => ({ status: "ignored", outcome: "no_organization_id" }) };
    }
    return {
      ok: true,
      ledgerId: clerkId,
      write: (tx) => ({
        status: "processed",
        outcome: tombstoneClerkOrganization(tx, clerkId, "webhook", receivedAt).outcome,
      }),
    };
  }
  const parsed = clerkOrganizationSchema.safeParse(data);
  if (!parsed.success) return { ok: false, ledgerId: dataId, error: zodMessage(parsed.error) };
  const fields = clerkOrganizationToRow(parsed.data);
  const refused = futureDated("data.updated_at", fields.clerkUpdatedAt, receivedAt);
  if (refused) return { ok: false, ledgerId: fields.clerkId, error: refused };
  return {
    ok: true,
    ledgerId: fields.clerkId,
    write: (tx) => ({
      status: "processed",
      outcome: writeClerkOrganization(tx, fields, "webhook", receivedAt).outcome,
    }),
  };
}
