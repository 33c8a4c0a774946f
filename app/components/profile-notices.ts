/**
 * What another page sends the user to the profile to read (`/profile?notice=…`): fixed words chosen by key,
 * so an address someone else made up can only ever show one of these.
 */
export const PROFILE_NOTICES = {
  "organization-deleted": "That organization has been deleted in Clerk, so it is gone from this app too.",
  "left-organization": "Clerk no longer lists you as a member of that organization, so its page is closed to you.",
} as const;

export type ProfileNotice = keyof typeof PROFILE_NOTICES;

export function profileWithNotice(notice: ProfileNotice): string {
  return `/profile?notice=${notice}`;
}

export function profileNotice(key: string | null): string | undefined {
  return key !== null && Object.hasOwn(PROFILE_NOTICES, key) ? PROFILE_NOTICES[key as ProfileNotice] : undefined;
}
