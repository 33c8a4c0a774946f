/**
 * `@clerk-sync/clerk-stand-in/testing`: the one source of Clerk test data and
 * Svix signing for the app's tests, benchmarks and `npm run webhook:send`.
 */
export { buildClerkUser, clerkEmailAddress, deletedClerkUser, type ClerkUserOverrides } from "./clerk-user.js";
export {
  buildClerkOrganization,
  buildClerkOrganizationMembership,
  clerkPublicUserData,
  deletedClerkOrganization,
  type ClerkOrganizationMembershipOverrides,
  type ClerkOrganizationOverrides,
} from "./clerk-organization.js";
export type {
  ClerkOrganizationJSON,
  ClerkOrganizationMembershipJSON,
  ClerkPublicUserDataJSON,
  OrganizationRole,
} from "../store/organization-json.js";
export { clerkEvent, type ClerkEvent, type ClerkEventOptions } from "./clerk-event.js";
export { signDelivery, type SvixHeaders } from "./sign-delivery.js";
