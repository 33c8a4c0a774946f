import { base62, newId } from "../ids.js";
import { identifierExists, notFound, paramValueInvalid, StandInError } from "../errors.js";
import {
  assertValidName,
  assertValidSlug,
  isOrganizationRole,
  ORGANIZATION_ROLES,
  organizationImage,
  publicUserData,
  slugFromName,
  type ClerkOrganizationJSON,
  type ClerkOrganizationMembershipJSON,
  type ClerkPublicUserDataJSON,
  type DeletedOrganizationJSON,
  type OrganizationRole,
} from "./organization-json.js";
import {
  byCreation,
  comparatorFor,
  page,
  passesSignedIds,
  signedIds,
  type MembershipListParams,
  type OrganizationListParams,
  type SortKeys,
} from "./organization-list.js";
import type { StateFile } from "./state-file.js";
import type { ChangeContext, UserChange, UserStore } from "./store.js";
import type { Metadata } from "./user-json.js";

export type MembershipEventType =
  "organizationMembership.created" | "organizationMembership.updated" | "organizationMembership.deleted";

export type OrganizationChange =
  | {
      type: "organization.created" | "organization.updated";
      organization: ClerkOrganizationJSON;
      context: ChangeContext;
    }
  | { type: "organization.deleted"; id: string; context: ChangeContext }
  | { type: MembershipEventType; membership: ClerkOrganizationMembershipJSON; context: ChangeContext };

export interface CreateOrganizationInput {
  name: string;
  /** Generated from the name when absent, as Clerk does. */
  slug?: string | null;
  /** This user becomes the organization's first admin. */
  created_by?: string | null;
  max_allowed_memberships?: number | null;
  admin_delete_enabled?: boolean | null;
  public_metadata?: object | null;
  private_metadata?: object | null;
  /** ms since epoch; defaults to now. */
  created_at?: number;
  id?: string;
}

export interface UpdateOrganizationPatch {
  name?: string;
  slug?: string;
  max_allowed_memberships?: number;
  admin_delete_enabled?: boolean;
  /** Replaces the metadata (the Backend API's `/metadata` route merges before calling this). */
  public_metadata?: object;
  private_metadata?: object;
  created_at?: number;
}

export interface MembershipInput {
  role: OrganizationRole;
  public_metadata?: object | null;
  private_metadata?: object | null;
}

export interface MembershipPatch {
  role?: OrganizationRole;
  public_metadata?: object;
  private_metadata?: object;
}

/** An organization as kept: Clerk's JSON without the counts, which are worked out when it is read. */
export interface OrganizationRecord {
  json: ClerkOrganizationJSON;
  seq: number;
}

/** A membership as kept: ids of its organization and user, and the member's public data as of their last change. */
export interface MembershipRecord {
  id: string;
  organization_id: string;
  user_id: string;
  role: OrganizationRole;
  public_metadata: Metadata;
  private_metadata: Metadata;
  public_user_data: ClerkPublicUserDataJSON;
  created_at: number;
  updated_at: number;
  seq: number;
}

export interface Page<T> {
  data: T[];
  total_count: number;
}

const ORGANIZATION_SORT_KEYS = (store: OrganizationStore): SortKeys<OrganizationRecord> => ({
  name: (record) => record.json.name.toLowerCase(),
  created_at: (record) => record.json.created_at,
  members_count: (record) => store.membersCount(record.json.id),
});

const MEMBERSHIP_SORT_KEYS: SortKeys<MembershipRecord> = {
  created_at: (record) => record.created_at,
  first_name: (record) => record.public_user_data.first_name?.toLowerCase() ?? null,
  last_name: (record) => record.public_user_data.last_name?.toLowerCase() ?? null,
  username: (record) => record.public_user_data.username,
  email_address: (record) =>
    record.public_user_data.identifier?.includes("@") ? record.public_user_data.identifier : null,
  // The stand-in has no phone numbers; accepted so valid Clerk queries do not fail.
  phone_number: () => null,
};

const alreadyAMember = () =>
  new StandInError(
    422,
    "already_a_member_in_organization",
    "already a member",
    "The user is already a member of this organization.",
    { param_name: "user_id" },
  );

/**
 * Organizations and their memberships, as Clerk's Backend API returns them,
 * beside the users they refer to. It follows the user store: a user's change
 * refreshes the member data their memberships carry, a user's deletion removes
 * their memberships (with an `organizationMembership.deleted` each, as Clerk
 * sends), and a reset of the users resets this too. Everything handed out is
 * built afresh, so callers never hold stored state.
 */
export class OrganizationStore {
  private readonly byId = new Map<string, OrganizationRecord>();
  private readonly idBySlug = new Map<string, string>();
  private readonly membershipsById = new Map<string, MembershipRecord>();
  /** organization id → user id → membership: at most one membership per (organization, user). */
  private readonly byOrganization = new Map<string, Map<string, MembershipRecord>>();
  /** user id → organization id → membership. */
  private readonly byUser = new Map<string, Map<string, MembershipRecord>>();
  /** Sorted lists per ordering, dropped on every change: paging 100k memberships must not sort them per page. */
  private readonly views = new Map<string, unknown[]>();
  private readonly listeners = new Set<(change: OrganizationChange) => void>();
  private readonly stateFile: StateFile | null;
  private nextSeq = 0;

  constructor(private readonly users: UserStore) {
    this.stateFile = users.stateFile;
    if (this.stateFile) this.restore(this.stateFile.loadOrganizations(), this.stateFile.loadMemberships());
    users.on((change) => this.followUser(change));
    users.onReset(() => this.reset());
  }

  get size(): number {
    return this.byId.size;
  }

  get membershipCount(): number {
    return this.membershipsById.size;
  }

  membersCount(organizationId: string): number {
    return this.byOrganization.get(organizationId)?.size ?? 0;
  }

  on(listener: (change: OrganizationChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  create(input: CreateOrganizationInput, ctx: ChangeContext = {}): ClerkOrganizationJSON {
    assertValidName(input.name);
    const creator = input.created_by ? this.users.get(input.created_by) : undefined;
    if (input.created_by && !creator) {
      throw paramValueInvalid("created_by", `created_by must be the id of an existing user.`);
    }
    const createdAt = input.created_at ?? Date.now();
    const id = input.id ?? newId("org", createdAt);
    if (this.byId.has(id)) throw paramValueInvalid("id", `An organization with id ${id} already exists.`);
    const slug = input.slug ? this.claimSlug(input.slug, id) : this.generatedSlug(input.name);
    const record: OrganizationRecord = {
      json: {
        object: "organization",
        id,
        name: input.name,
        slug,
        image_url: organizationImage(id, input.name),
        has_image: false,
        max_allowed_memberships: input.max_allowed_memberships ?? 0,
        admin_delete_enabled: input.admin_delete_enabled ?? true,
        public_metadata: { ...(input.public_metadata as Metadata) },
        private_metadata: { ...(input.private_metadata as Metadata) },
        ...(creator ? { created_by: creator.id } : {}),
        created_at: createdAt,
        updated_at: createdAt,
      },
      seq: this.nextSeq++,
    };
    this.byId.set(id, record);
    this.idBySlug.set(slug, id);
    // The creator's admin membership is part of the creation, so organization.created already counts them.
    const membership = creator ? this.insertMembership(record, publicUserData(creator), { role: "org:admin" }) : null;
    this.views.clear();
    this.stateFile?.transaction(() => {
      this.stateFile!.saveOrganizations([record]);
      if (membership) this.stateFile!.saveMemberships([membership]);
    });
    this.emit({ type: "organization.created", organization: this.organizationJson(record, true), context: ctx });
    if (membership) {
      this.emit({ type: "organizationMembership.created", membership: this.membershipJson(membership), context: ctx });
    }
    return this.organizationJson(record, false);
  }

  /** By id or by slug, as `GET /v1/organizations/{id_or_slug}` finds it. */
  get(idOrSlug: string, options: { membersCount?: boolean } = {}): ClerkOrganizationJSON | undefined {
    const record = this.find(idOrSlug);
    return record && this.organizationJson(record, options.membersCount ?? false);
  }

  list(
    params: OrganizationListParams = {},
    options: { membersCount?: boolean; maxLimit?: number } = {},
  ): Page<ClerkOrganizationJSON> {
    const orderBy = params.order_by ?? "-created_at";
    const ordered = this.view(`organizations ${orderBy}`, () =>
      [...this.byId.values()].sort(comparatorFor(orderBy, ORGANIZATION_SORT_KEYS(this), organizationCreation)),
    ) as OrganizationRecord[];
    const byUser = signedIds(params.user_id);
    const byOrganization = signedIds(params.organization_id);
    const needle = params.query?.trim().toLowerCase();
    const matching =
      byUser || byOrganization || needle
        ? ordered.filter(
            ({ json }) =>
              passesSignedIds(byOrganization, [json.id]) &&
              passesSignedIds(byUser, this.byOrganization.get(json.id)?.keys() ?? []) &&
              (!needle ||
                json.id === params.query!.trim() ||
                json.name.toLowerCase().includes(needle) ||
                json.slug.includes(needle)),
          )
        : ordered;
    return {
      data: page(matching, params, options.maxLimit).map((record) =>
        this.organizationJson(record, options.membersCount ?? false),
      ),
      total_count: matching.length,
    };
  }

  update(idOrSlug: string, patch: UpdateOrganizationPatch, ctx: ChangeContext = {}): ClerkOrganizationJSON {
    const record = this.require(idOrSlug);
    const next = structuredClone(record.json);
    if (patch.name !== undefined) {
      assertValidName(patch.name);
      next.name = patch.name;
      next.image_url = organizationImage(next.id, next.name);
    }
    if (patch.slug !== undefined) next.slug = this.claimSlug(patch.slug, next.id);
    if (patch.max_allowed_memberships !== undefined) next.max_allowed_memberships = patch.max_allowed_memberships;
    if (patch.admin_delete_enabled !== undefined) next.admin_delete_enabled = patch.admin_delete_enabled;
    if (patch.public_metadata !== undefined) next.public_metadata = { ...(patch.public_metadata as Metadata) };
    if (patch.private_metadata !== undefined) next.private_metadata = { ...(patch.private_metadata as Metadata) };
    if (patch.created_at !== undefined) next.created_at = patch.created_at;
    // The app orders writes by updated_at, so it must move forward on every change.
    next.updated_at = Math.max(Date.now(), record.json.updated_at + 1);
    this.idBySlug.delete(record.json.slug);
    this.idBySlug.set(next.slug, next.id);
    record.json = next;
    this.views.clear();
    this.stateFile?.saveOrganizations([record]);
    this.emit({ type: "organization.updated", organization: this.organizationJson(record, true), context: ctx });
    return this.organizationJson(record, false);
  }

  /** Its memberships go with it, without an event each: Clerk sends organization.deleted only. */
  delete(idOrSlug: string, ctx: ChangeContext = {}): DeletedOrganizationJSON {
    const record = this.require(idOrSlug);
    const { id, slug } = record.json;
    for (const membership of [...(this.byOrganization.get(id)?.values() ?? [])]) this.unindexMembership(membership);
    this.byOrganization.delete(id);
    this.byId.delete(id);
    this.idBySlug.delete(slug);
    this.views.clear();
    this.stateFile?.deleteOrganization(id);
    this.emit({ type: "organization.deleted", id, context: ctx });
    return { object: "organization", id, deleted: true };
  }

  addMember(
    organizationIdOrSlug: string,
    userId: string,
    input: MembershipInput,
    ctx: ChangeContext = {},
  ): ClerkOrganizationMembershipJSON {
    const organization = this.require(organizationIdOrSlug);
    const user = this.users.get(userId);
    if (!user) throw notFound("User");
    assertRole(input.role);
    if (this.byOrganization.get(organization.json.id)?.has(userId)) throw alreadyAMember();
    const record = this.insertMembership(organization, publicUserData(user), input);
    this.views.clear();
    this.stateFile?.saveMemberships([record]);
    this.emit({ type: "organizationMembership.created", membership: this.membershipJson(record), context: ctx });
    return this.membershipJson(record);
  }

  getMembership(organizationIdOrSlug: string, userId: string): ClerkOrganizationMembershipJSON | undefined {
    const organization = this.find(organizationIdOrSlug);
    const record = organization && this.byOrganization.get(organization.json.id)?.get(userId);
    return record && this.membershipJson(record);
  }

  updateMember(
    organizationIdOrSlug: string,
    userId: string,
    patch: MembershipPatch,
    ctx: ChangeContext = {},
  ): ClerkOrganizationMembershipJSON {
    const record = this.requireMembership(organizationIdOrSlug, userId);
    if (patch.role !== undefined) assertRole(patch.role);
    if (patch.role !== undefined) record.role = patch.role;
    if (patch.public_metadata !== undefined) record.public_metadata = { ...(patch.public_metadata as Metadata) };
    if (patch.private_metadata !== undefined) record.private_metadata = { ...(patch.private_metadata as Metadata) };
    record.updated_at = Math.max(Date.now(), record.updated_at + 1);
    this.views.clear();
    this.stateFile?.saveMemberships([record]);
    this.emit({ type: "organizationMembership.updated", membership: this.membershipJson(record), context: ctx });
    return this.membershipJson(record);
  }

  /** Answers the membership as it was, with the organization's count already without it (as Clerk's payloads are). */
  removeMember(organizationIdOrSlug: string, userId: string, ctx: ChangeContext = {}): ClerkOrganizationMembershipJSON {
    const record = this.requireMembership(organizationIdOrSlug, userId);
    this.unindexMembership(record);
    this.views.clear();
    this.stateFile?.deleteMembership(record.id);
    const json = this.membershipJson(record);
    this.emit({ type: "organizationMembership.deleted", membership: json, context: ctx });
    return structuredClone(json);
  }

  /** `GET /v1/organizations/{id}/memberships`. */
  members(organizationIdOrSlug: string, params: MembershipListParams = {}): Page<ClerkOrganizationMembershipJSON> {
    const organization = this.require(organizationIdOrSlug);
    return this.membershipPage([...(this.byOrganization.get(organization.json.id)?.values() ?? [])], params);
  }

  /** `GET /v1/users/{id}/organization_memberships`: a user with none (or no such user) gets an empty page. */
  membershipsOfUser(userId: string, params: MembershipListParams = {}): Page<ClerkOrganizationMembershipJSON> {
    return this.membershipPage([...(this.byUser.get(userId)?.values() ?? [])], params);
  }

  /** `GET /v1/organization_memberships`: every membership of the instance. `maxLimit` lifts the 500 cap for the control API. */
  allMemberships(
    params: MembershipListParams = {},
    options: { maxLimit?: number } = {},
  ): Page<ClerkOrganizationMembershipJSON> {
    const orderBy = params.order_by ?? "-created_at";
    const ordered = this.view(`memberships ${orderBy}`, () =>
      [...this.membershipsById.values()].sort(comparatorFor(orderBy, MEMBERSHIP_SORT_KEYS, (record) => record)),
    ) as MembershipRecord[];
    return this.membershipPage(ordered, params, options.maxLimit, true);
  }

  /** Forgets every organization and membership; returns how many there were. */
  reset(): { organizations: number; memberships: number } {
    const erased = { organizations: this.byId.size, memberships: this.membershipsById.size };
    this.byId.clear();
    this.idBySlug.clear();
    this.membershipsById.clear();
    this.byOrganization.clear();
    this.byUser.clear();
    this.views.clear();
    this.stateFile?.clear(["organizations", "organization_memberships"]);
    return erased;
  }

  private followUser(change: UserChange): void {
    const memberships = [
      ...(this.byUser.get(change.type === "user.deleted" ? change.id : change.user.id)?.values() ?? []),
    ];
    if (memberships.length === 0) return;
    if (change.type === "user.deleted") {
      for (const record of memberships) {
        this.unindexMembership(record);
        this.stateFile?.deleteMembership(record.id);
      }
      this.views.clear();
      for (const record of memberships) {
        this.emit({
          type: "organizationMembership.deleted",
          membership: this.membershipJson(record),
          context: change.context,
        });
      }
      return;
    }
    // Clerk's membership objects show the member as they are now; no event, as Clerk sends none.
    const data = publicUserData(change.user);
    for (const record of memberships) record.public_user_data = data;
    this.views.clear();
    this.stateFile?.saveMemberships(memberships);
  }

  private insertMembership(
    organization: OrganizationRecord,
    member: ClerkPublicUserDataJSON,
    input: MembershipInput,
  ): MembershipRecord {
    const createdAt = Math.max(Date.now(), organization.json.created_at);
    const record: MembershipRecord = {
      id: newId("orgmem", createdAt),
      organization_id: organization.json.id,
      user_id: member.user_id,
      role: input.role,
      public_metadata: { ...(input.public_metadata as Metadata) },
      private_metadata: { ...(input.private_metadata as Metadata) },
      public_user_data: member,
      created_at: createdAt,
      updated_at: createdAt,
      seq: this.nextSeq++,
    };
    this.indexMembership(record);
    return record;
  }

  private indexMembership(record: MembershipRecord): void {
    this.membershipsById.set(record.id, record);
    let members = this.byOrganization.get(record.organization_id);
    if (!members) this.byOrganization.set(record.organization_id, (members = new Map()));
    members.set(record.user_id, record);
    let organizations = this.byUser.get(record.user_id);
    if (!organizations) this.byUser.set(record.user_id, (organizations = new Map()));
    organizations.set(record.organization_id, record);
  }

  private unindexMembership(record: MembershipRecord): void {
    this.membershipsById.delete(record.id);
    this.byOrganization.get(record.organization_id)?.delete(record.user_id);
    const organizations = this.byUser.get(record.user_id);
    organizations?.delete(record.organization_id);
    if (organizations?.size === 0) this.byUser.delete(record.user_id);
  }

  private membershipPage(
    records: MembershipRecord[],
    params: MembershipListParams,
    maxLimit?: number,
    alreadyOrdered = false,
  ): Page<ClerkOrganizationMembershipJSON> {
    const ordered = alreadyOrdered
      ? records
      : records.sort(comparatorFor(params.order_by ?? "-created_at", MEMBERSHIP_SORT_KEYS, (record) => record));
    const byUser = signedIds(params.user_id);
    const roles = params.role?.length ? new Set(params.role) : null;
    const needle = params.query?.trim().toLowerCase();
    const matching =
      byUser || roles || needle
        ? ordered.filter(
            (record) =>
              passesSignedIds(byUser, [record.user_id]) &&
              (!roles || roles.has(record.role)) &&
              (!needle || memberMatches(record.public_user_data, needle)),
          )
        : ordered;
    return {
      data: page(matching, params, maxLimit).map((record) => this.membershipJson(record)),
      total_count: matching.length,
    };
  }

  private organizationJson(record: OrganizationRecord, withCounts: boolean): ClerkOrganizationJSON {
    const json = structuredClone(record.json);
    if (!withCounts) return json;
    const { object, id, name, slug, image_url, has_image, ...rest } = json;
    return {
      object,
      id,
      name,
      slug,
      image_url,
      has_image,
      members_count: this.membersCount(id),
      missing_member_with_elevated_permissions: false,
      pending_invitations_count: 0,
      ...rest,
    };
  }

  private membershipJson(record: MembershipRecord): ClerkOrganizationMembershipJSON {
    const organization = this.byId.get(record.organization_id);
    if (!organization) throw notFound("Organization");
    const role = ORGANIZATION_ROLES[record.role];
    return {
      object: "organization_membership",
      id: record.id,
      role: record.role,
      role_name: role.name,
      permissions: [...role.permissions],
      public_metadata: structuredClone(record.public_metadata),
      private_metadata: structuredClone(record.private_metadata),
      organization: this.organizationJson(organization, true),
      public_user_data: { ...record.public_user_data },
      created_at: record.created_at,
      updated_at: record.updated_at,
    };
  }

  private find(idOrSlug: string): OrganizationRecord | undefined {
    const id = this.byId.has(idOrSlug) ? idOrSlug : this.idBySlug.get(idOrSlug);
    return id === undefined ? undefined : this.byId.get(id);
  }

  private require(idOrSlug: string): OrganizationRecord {
    const record = this.find(idOrSlug);
    if (!record) throw notFound("Organization");
    return record;
  }

  private requireMembership(organizationIdOrSlug: string, userId: string): MembershipRecord {
    const organization = this.require(organizationIdOrSlug);
    const record = this.byOrganization.get(organization.json.id)?.get(userId);
    if (!record) throw notFound("Organization membership");
    return record;
  }

  /** A slug someone chose: Clerk's characters, and not another organization's. */
  private claimSlug(slug: string, ownerId: string): string {
    assertValidSlug(slug);
    const owner = this.idBySlug.get(slug);
    if (owner !== undefined && owner !== ownerId) throw identifierExists("slug");
    return slug;
  }

  /** The name's slug, or with a short random suffix when another organization has it. */
  private generatedSlug(name: string): string {
    const base = slugFromName(name) || "organization";
    let slug = base;
    while (this.idBySlug.has(slug)) slug = `${base}-${base62(6).toLowerCase()}`;
    return slug;
  }

  private view(key: string, build: () => unknown[]): unknown[] {
    let view = this.views.get(key);
    if (!view) this.views.set(key, (view = build()));
    return view;
  }

  private emit(change: OrganizationChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private restore(organizations: OrganizationRecord[], memberships: MembershipRecord[]): void {
    for (const record of organizations) {
      this.byId.set(record.json.id, record);
      this.idBySlug.set(record.json.slug, record.json.id);
    }
    for (const record of memberships.sort(byCreation)) {
      if (this.byId.has(record.organization_id)) this.indexMembership(record);
    }
    this.nextSeq = [...organizations, ...memberships].reduce((max, record) => Math.max(max, record.seq + 1), 0);
  }
}

function organizationCreation(record: OrganizationRecord) {
  return { created_at: record.json.created_at, seq: record.seq };
}

function assertRole(role: unknown): asserts role is OrganizationRole {
  if (!isOrganizationRole(role)) {
    throw paramValueInvalid("role", `role must be one of ${Object.keys(ORGANIZATION_ROLES).join(", ")}.`);
  }
}

function memberMatches(member: ClerkPublicUserDataJSON, needle: string): boolean {
  return [member.user_id, member.first_name, member.last_name, member.username, member.identifier].some((value) =>
    value?.toLowerCase().includes(needle),
  );
}
