import {
  clerkMembershipSchema,
  clerkMembershipToRow,
  clerkOrganizationToRow,
  type MembershipEventType,
} from "~/clerk/clerk-organization";
import { tombstoneClerkMembership, writeClerkMembership } from "~/db/organization-writer.server";
import { futureDated, zodMessage, type EventHandling } from "./event-handler.server";

/**
 * `organizationMembership.created`, `updated` and `deleted`. Each carries the
 * whole membership and its organization (the delete too), which the writer
 * stores under the organization's own ordering rule. The ledger's
 * `clerk_user_id` holds the member's user id.
 */
export function handleMembershipEvent(type: MembershipEventType, data: unknown, receivedAt: number): EventHandling {
  const parsed = clerkMembershipSchema.safeParse(data);
  if (!parsed.success) {
    const userId = (data as { public_user_data?: { user_id?: unknown } } | null)?.public_user_data?.user_id;
    return { ok: false, ledgerId: typeof userId === "string" ? userId : null, error: zodMessage(parsed.error) };
  }
  const membership = clerkMembershipToRow(parsed.data);
  const organization = clerkOrganizationToRow(parsed.data.organization);
  const ledgerId = membership.userClerkId;
  const refused =
    futureDated("data.updated_at", membership.clerkUpdatedAt, receivedAt) ??
    futureDated("data.organization.updated_at", organization.clerkUpdatedAt, receivedAt);
  if (refused) return { ok: false, ledgerId, error: refused };
  const write = type === "organizationMembership.deleted" ? tombstoneClerkMembership : writeClerkMembership;
  return {
    ok: true,
    ledgerId,
    write: (tx) => ({
      status: "processed",
      outcome: write(tx, membership, organization, "webhook", receivedAt).outcome,
    }),
  };
}
