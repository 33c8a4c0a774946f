export { startClerkStandIn, type ClerkStandIn, type StandInOptions } from "./server.js";
export type { BackendApiEvent, BackendApiObserver } from "./backend-api/routes.js";
export { idTimestampMs } from "./ids.js";
export {
  UserStore,
  StandInError,
  type ChangeContext,
  type ClerkEmailAddressJSON,
  type ClerkUserJSON,
  type CreateUserInput,
  type DeletedUserJSON,
  type SeedUser,
  type UpdateUserPatch,
  type UserChange,
  type UserListParams,
} from "./store/store.js";
export {
  OrganizationStore,
  type CreateOrganizationInput,
  type MembershipInput,
  type MembershipPatch,
  type OrganizationChange,
  type UpdateOrganizationPatch,
} from "./store/organizations.js";
export type { MembershipListParams, OrganizationListParams } from "./store/organization-list.js";
export {
  ORGANIZATION_ROLES,
  type ClerkOrganizationJSON,
  type ClerkOrganizationMembershipJSON,
  type ClerkPublicUserDataJSON,
  type DeletedOrganizationJSON,
  type OrganizationRole,
} from "./store/organization-json.js";
export { createInstanceKeys, publishableKeyFor, type InstanceKeys, type JsonWebKeyWithKid } from "./keys.js";
export {
  WebhookDeliveries,
  SVIX_RETRY_DELAYS_MS,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryState,
  type StandInChange,
} from "./webhooks/deliveries.js";
export { FaultSwitches, type ApiFault, type ApiFaultMode, type DeliveryFaultCounts } from "./control/faults.js";
export { generateUsers } from "./store/seed-generator.js";
export { StateFile, StateFileInUse, STATE_SCHEMA_VERSION, type StateCounts } from "./store/state-file.js";
export { consoleLogger, silentLogger, type Logger } from "./logger.js";
export type { FrontendOptions } from "./frontend-api/frontend-api.js";
export { callControl, resolveControlTarget, type ControlTarget } from "./control/control-client.js";
export { DEFAULT_CONTROL_TOKEN_FILE, readControlTokenFile } from "./control/control-token.js";
