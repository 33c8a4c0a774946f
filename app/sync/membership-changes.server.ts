import { roleLabel } from "~/components/organization-role";

/**
 * What a Sync changed in who belongs where, said the way a person reads it:
 * the live memberships before the Sync's writes and after, compared by
 * organization (the profile's view) or by member (an organization page's).
 * Comparing the readers' views rather than the writer's outcomes keeps it
 * true whatever the writer did underneath (a rejoin that superseded an old
 * membership id is no change to the person).
 */

/** One live membership as a page shows it. */
export interface ShownMembership {
  /** The other side of the membership: the organization on the profile, the member on an organization page. */
  key: string;
  name: string;
  role: string | null;
}

export type MembershipChange =
  | { kind: "added"; name: string; role: string | null }
  | { kind: "removed"; name: string }
  | { kind: "role"; name: string; role: string | null }
  | { kind: "renamed"; from: string; name: string };

export function compareMemberships(
  before: readonly ShownMembership[],
  after: readonly ShownMembership[],
): MembershipChange[] {
  const earlier = new Map(before.map((membership) => [membership.key, membership]));
  const changes: MembershipChange[] = [];
  for (const now of after) {
    const was = earlier.get(now.key);
    earlier.delete(now.key);
    if (!was) changes.push({ kind: "added", name: now.name, role: now.role });
    else {
      if (was.name !== now.name) changes.push({ kind: "renamed", from: was.name, name: now.name });
      if (was.role !== now.role) changes.push({ kind: "role", name: now.name, role: now.role });
    }
  }
  for (const gone of earlier.values()) changes.push({ kind: "removed", name: gone.name });
  return changes;
}

// A status line stays short: past this many, the rest are counted.
const MAX_SENTENCES = 3;

function joinSentences(sentences: string[]): string {
  if (sentences.length <= MAX_SENTENCES) return sentences.join(" ");
  const more = sentences.length - (MAX_SENTENCES - 1);
  return [...sentences.slice(0, MAX_SENTENCES - 1), `And ${more} more changes.`].join(" ");
}

/** The profile's words: the signed-in user's organizations. */
export function describeOrganizationChanges(changes: readonly MembershipChange[]): string {
  return joinSentences(
    changes.map((change) => {
      switch (change.kind) {
        case "added":
          return `Added to ${change.name} as ${roleLabel(change.role)}.`;
        case "removed":
          return `Removed from ${change.name}.`;
        case "role":
          return `Role in ${change.name} changed to ${roleLabel(change.role)}.`;
        case "renamed":
          return `${change.from} is now called ${change.name}.`;
      }
    }),
  );
}

/** An organization page's words: its members. */
export function describeMemberChanges(changes: readonly MembershipChange[]): string {
  return joinSentences(
    changes.map((change) => {
      switch (change.kind) {
        case "added":
          return `Added ${change.name} as ${roleLabel(change.role)}.`;
        case "removed":
          return `Removed ${change.name}.`;
        case "role":
          return `Role of ${change.name} changed to ${roleLabel(change.role)}.`;
        case "renamed":
          return `${change.from} is now shown as ${change.name}.`;
      }
    }),
  );
}
