import { identifierExists, notFound, paramFormatInvalid, paramValueInvalid, StandInError } from "../errors.js";
import { newId } from "../ids.js";
import { assertAcceptablePassword, hashPassword, passwordMatches } from "./passwords.js";
import type { StateFile } from "./state-file.js";
import {
  buildEmailAddress,
  buildUser,
  avatarDataUrl,
  type ClerkUserJSON,
  type EmailVerificationStrategy,
  type Metadata,
  userJsonText,
} from "./user-json.js";
import {
  compareRecords,
  listPage,
  matchingRecords,
  type ListSource,
  type UserListParams,
  type UserRecord,
} from "./user-list.js";

export { StandInError } from "../errors.js";
export type { ClerkUserJSON, ClerkEmailAddressJSON, Metadata } from "./user-json.js";
export type { UserListParams } from "./user-list.js";

export interface ChangeContext {
  source?: "api" | "fapi" | "control";
  userAgent?: string;
  clientIp?: string;
}

export type UserChange =
  | { type: "user.created" | "user.updated"; user: ClerkUserJSON; context: ChangeContext }
  | { type: "user.deleted"; id: string; context: ChangeContext };

export interface CreateUserInput {
  email_address?: string[];
  password?: string;
  first_name?: string | null;
  last_name?: string | null;
  username?: string | null;
  external_id?: string | null;
  public_metadata?: object;
  private_metadata?: object;
  unsafe_metadata?: object;
  /** ms since epoch; defaults to now. */
  created_at?: number;
  id?: string;
  /** How the email addresses were verified; defaults to `admin` (created by the Backend API/dashboard), `email_code` for FAPI sign-ups. */
  email_verification_strategy?: EmailVerificationStrategy;
}

export type SeedUser = CreateUserInput & { updated_at?: number };

export interface UpdateUserPatch {
  first_name?: string | null;
  last_name?: string | null;
  /** null or "" removes the username, as Clerk does. */
  username?: string | null;
  /** Replaces the current primary email with this address (or promotes it if the user already has it). */
  primary_email_address?: string;
  /** Promotes one of the user's existing email addresses, as BAPI's `primary_email_address_id` does. */
  primary_email_address_id?: string;
  /** null removes the password. */
  password?: string | null;
  public_metadata?: object;
  private_metadata?: object;
  unsafe_metadata?: object;
  external_id?: string | null;
  last_sign_in_at?: number | null;
  last_active_at?: number | null;
  /** What the dashboard's and BAPI's ban and unban set. */
  banned?: boolean;
}

export type DeletedUserJSON = { object: "user"; id: string; deleted: true };

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USERNAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Holds users exactly as Clerk's Backend API returns them and tells listeners
 * about every change. Everything handed out is a copy, so callers can never
 * mutate stored state behind the store's back.
 *
 * The maps below are the truth while running (list pages of 100k users are
 * served from them); with a state file every change is also written through,
 * and the maps are rebuilt from it at start.
 */
export class UserStore {
  private readonly byId = new Map<string, UserRecord>();
  private readonly idByEmail = new Map<string, string>();
  private readonly idByUsername = new Map<string, string>();
  private readonly idByExternalId = new Map<string, string>();
  /** Sorted by (created_at, seq): list pages slice it directly instead of sorting 100k users per request. */
  private creationOrder: UserRecord[] = [];
  private readonly sortedViews = new Map<string, UserRecord[]>();
  private readonly listeners = new Set<(change: UserChange) => void>();
  private readonly resetListeners = new Set<() => void>();
  private nextSeq = 0;

  /**
   * The stand-in's state file, or null in memory-only mode. Sessions keep
   * their rows in the same file and find it here (see sessions.ts).
   */
  readonly stateFile: StateFile | null;

  constructor(stateFile: StateFile | null = null) {
    this.stateFile = stateFile;
    if (stateFile) this.restore(stateFile.loadUsers());
  }

  get size(): number {
    return this.byId.size;
  }

  create(input: CreateUserInput, ctx: ChangeContext = {}): ClerkUserJSON {
    const record = this.insert(input, null);
    this.stateFile?.saveUsers([record]);
    this.emit({ type: "user.created", user: structuredClone(record.json), context: ctx });
    return structuredClone(record.json);
  }

  get(id: string): ClerkUserJSON | undefined {
    const record = this.byId.get(id);
    return record && structuredClone(record.json);
  }

  findByIdentifier(emailOrUsername: string): ClerkUserJSON | undefined {
    const key = emailOrUsername.trim().toLowerCase();
    const id = this.idByEmail.get(key) ?? this.idByUsername.get(key);
    return id === undefined ? undefined : this.get(id);
  }

  verifyPassword(userId: string, password: string): boolean {
    const hash = this.byId.get(userId)?.passwordHash;
    return hash ? passwordMatches(password, hash) : false;
  }

  update(id: string, patch: UpdateUserPatch, ctx: ChangeContext = {}): ClerkUserJSON {
    const record = this.byId.get(id);
    if (!record) throw notFound("User");
    const next = structuredClone(record.json);
    const now = Math.max(Date.now(), record.json.updated_at + 1);
    this.applyPatch(record, next, patch, now);
    // The app orders writes by updated_at, so it must move forward on every change.
    next.updated_at = now;
    record.json = next;
    this.sortedViews.clear();
    this.stateFile?.saveUsers([record]);
    this.emit({ type: "user.updated", user: structuredClone(next), context: ctx });
    return structuredClone(next);
  }

  /**
   * A completed sign-in sets `last_sign_in_at`, and nothing else: Clerk's event for a sign-in is `session.created`,
   * and nothing documents a `user.updated` or a new `updated_at` for one, so none is made up here. A mirror learns
   * the time on its next read of the user (Sync, the backfill).
   */
  recordSignIn(id: string, at: number = Date.now()): void {
    const record = this.byId.get(id);
    if (!record) throw notFound("User");
    // A new object: the old one is the key of its cached JSON text (userJsonText).
    record.json = { ...record.json, last_sign_in_at: at };
    this.sortedViews.clear();
    this.stateFile?.saveUsers([record]);
  }

  delete(id: string, ctx: ChangeContext = {}): DeletedUserJSON {
    const record = this.byId.get(id);
    if (!record) throw notFound("User");
    this.byId.delete(id);
    this.releaseIdentifiers(record.json);
    const index = this.creationIndexOf(record);
    if (index >= 0) this.creationOrder.splice(index, 1);
    this.sortedViews.clear();
    this.stateFile?.deleteUser(id);
    this.emit({ type: "user.deleted", id, context: ctx });
    return { object: "user", id, deleted: true };
  }

  /** `maxLimit` lifts BAPI's 500-per-page cap for the control API. */
  list(params: UserListParams = {}, options: { maxLimit?: number } = {}): ClerkUserJSON[] {
    return listPage(this.listSource, params, options.maxLimit).map((record) => structuredClone(record.json));
  }

  /** A page as JSON texts, one per user (`GET /v1/users` sends them as they are). */
  listSerialised(params: UserListParams = {}): string[] {
    return listPage(this.listSource, params).map((record) => userJsonText(record.json));
  }

  count(params: UserListParams = {}): number {
    return matchingRecords(this.listSource, params).length;
  }

  /** Forgets every user; returns how many there were. */
  reset(): number {
    const erased = this.byId.size;
    this.byId.clear();
    this.idByEmail.clear();
    this.idByUsername.clear();
    this.idByExternalId.clear();
    this.creationOrder = [];
    this.sortedViews.clear();
    // Sessions and memberships hang off users (and organizations go with them). Their owners empty
    // their own rows when they exist, but the session manager is created on the first Frontend API
    // request, which may not have come yet, and a bare UserStore has no organization store.
    this.stateFile?.clear(["users", "clients", "sessions", "organizations", "organization_memberships"]);
    for (const listener of this.resetListeners) listener();
    return erased;
  }

  /** Called after `reset()`, so what hangs off users (sessions) goes with them. */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Bulk insert for fixtures and backfill tests; silent unless `emit` is set, because seeding is not a user action. */
  seed(users: SeedUser[], options: { emit?: boolean; context?: ChangeContext } = {}): ClerkUserJSON[] {
    const hashes = new Map<string, string>();
    const records: UserRecord[] = [];
    try {
      for (const user of users) records.push(this.insert(user, hashes));
      // Serialised now, as the state file does, rather than while a backfill is listing them:
      // the stand-in shares the machine with what it is standing in for Clerk to (docs/benchmarks.md).
      if (!this.stateFile) for (const record of records) userJsonText(record.json);
    } finally {
      // A batch that fails half-way keeps its first half in memory, so the file must too.
      this.stateFile?.saveUsers(records);
    }
    const created = records.map((record) => structuredClone(record.json));
    if (options.emit) {
      for (const user of created) this.emit({ type: "user.created", user, context: options.context ?? {} });
    }
    return created;
  }

  on(listener: (change: UserChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private restore(records: UserRecord[]): void {
    records.sort(compareRecords);
    for (const record of records) {
      this.byId.set(record.json.id, record);
      this.claimIdentifiers(record.json);
    }
    this.creationOrder = records;
    this.nextSeq = records.reduce((max, record) => Math.max(max, record.seq + 1), 0);
  }

  private emit(change: UserChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /** `seedHashes` shares one scrypt hash per distinct password across a seed batch: 100k hashes would take minutes. */
  private insert(input: SeedUser, seedHashes: Map<string, string> | null): UserRecord {
    const id = input.id ?? newId("user", input.created_at ?? Date.now());
    if (this.byId.has(id)) throw paramValueInvalid("id", `A user with id ${id} already exists.`);
    const emails = (input.email_address ?? []).map((email) => normaliseEmail(email));
    if (new Set(emails).size !== emails.length) throw identifierExists("email_address");
    for (const email of emails) if (this.idByEmail.has(email)) throw identifierExists("email_address");
    const username = normaliseUsername(input.username);
    if (username && this.idByUsername.has(username.toLowerCase())) throw identifierExists("username");
    const externalId = input.external_id ?? null;
    if (externalId && this.idByExternalId.has(externalId)) throw identifierExists("external_id");

    let passwordHash: string | null = null;
    if (input.password != null) {
      assertAcceptablePassword(input.password);
      passwordHash = seedHashes?.get(input.password) ?? hashPassword(input.password);
      seedHashes?.set(input.password, passwordHash);
    }

    const now = Date.now();
    const createdAt = input.created_at ?? now;
    const strategy = input.email_verification_strategy ?? "admin";
    const json = buildUser({
      id,
      at: Math.max(input.updated_at ?? createdAt, createdAt),
      createdAt,
      emails: emails.map((email) => buildEmailAddress(email, strategy, createdAt)),
      firstName: input.first_name ?? null,
      lastName: input.last_name ?? null,
      username,
      externalId,
      passwordEnabled: passwordHash !== null,
      publicMetadata: { ...(input.public_metadata as Metadata) },
      privateMetadata: { ...(input.private_metadata as Metadata) },
      unsafeMetadata: { ...(input.unsafe_metadata as Metadata) },
    });
    const record: UserRecord = { json, passwordHash, seq: this.nextSeq++ };
    this.byId.set(id, record);
    this.claimIdentifiers(json);
    this.insertInCreationOrder(record);
    this.sortedViews.clear();
    return record;
  }

  private applyPatch(record: UserRecord, next: ClerkUserJSON, patch: UpdateUserPatch, now: number): void {
    if ("first_name" in patch) next.first_name = patch.first_name ?? null;
    if ("last_name" in patch) next.last_name = patch.last_name ?? null;
    if ("username" in patch) {
      const username = normaliseUsername(patch.username);
      const owner = username && this.idByUsername.get(username.toLowerCase());
      if (owner && owner !== next.id) throw identifierExists("username");
      next.username = username;
    }
    if ("external_id" in patch) {
      const externalId = patch.external_id ?? null;
      const owner = externalId && this.idByExternalId.get(externalId);
      if (owner && owner !== next.id) throw identifierExists("external_id");
      next.external_id = externalId;
    }
    if (patch.primary_email_address_id !== undefined) {
      if (!next.email_addresses.some((email) => email.id === patch.primary_email_address_id)) {
        throw paramValueInvalid("primary_email_address_id", "The email address must belong to the user.");
      }
      next.primary_email_address_id = patch.primary_email_address_id;
    }
    if (patch.primary_email_address !== undefined) this.replacePrimaryEmail(next, patch.primary_email_address, now);
    if (patch.public_metadata !== undefined) next.public_metadata = { ...(patch.public_metadata as Metadata) };
    if (patch.private_metadata !== undefined) next.private_metadata = { ...(patch.private_metadata as Metadata) };
    if (patch.unsafe_metadata !== undefined) next.unsafe_metadata = { ...(patch.unsafe_metadata as Metadata) };
    if ("last_sign_in_at" in patch) next.last_sign_in_at = patch.last_sign_in_at ?? null;
    if ("last_active_at" in patch) next.last_active_at = patch.last_active_at ?? null;
    if (patch.banned !== undefined) next.banned = patch.banned;
    if ("password" in patch) {
      if (patch.password == null) {
        record.passwordHash = null;
      } else {
        assertAcceptablePassword(patch.password);
        record.passwordHash = hashPassword(patch.password);
        next.password_last_updated_at = now;
      }
      next.password_enabled = record.passwordHash !== null;
    }
    if ("first_name" in patch || "last_name" in patch) {
      next.image_url = next.profile_image_url = avatarDataUrl(next.id, next.first_name, next.last_name);
    }
    // Re-index only after every check passed, so a rejected patch leaves the indexes untouched.
    this.releaseIdentifiers(record.json);
    this.claimIdentifiers(next);
  }

  /** The dashboard's "change email": the new address becomes primary and the old primary goes away. */
  private replacePrimaryEmail(next: ClerkUserJSON, rawEmail: string, now: number): void {
    const email = normaliseEmail(rawEmail);
    const existing = next.email_addresses.find((entry) => entry.email_address === email);
    if (existing) {
      next.primary_email_address_id = existing.id;
      return;
    }
    const owner = this.idByEmail.get(email);
    if (owner && owner !== next.id) throw identifierExists("email_address");
    const added = buildEmailAddress(email, "admin", now);
    next.email_addresses = next.email_addresses.filter((entry) => entry.id !== next.primary_email_address_id);
    next.email_addresses.push(added);
    next.primary_email_address_id = added.id;
  }

  private claimIdentifiers(user: ClerkUserJSON): void {
    for (const email of user.email_addresses) this.idByEmail.set(email.email_address.toLowerCase(), user.id);
    if (user.username) this.idByUsername.set(user.username.toLowerCase(), user.id);
    if (user.external_id) this.idByExternalId.set(user.external_id, user.id);
  }

  private releaseIdentifiers(user: ClerkUserJSON): void {
    for (const email of user.email_addresses) this.idByEmail.delete(email.email_address.toLowerCase());
    if (user.username) this.idByUsername.delete(user.username.toLowerCase());
    if (user.external_id) this.idByExternalId.delete(user.external_id);
  }

  private insertInCreationOrder(record: UserRecord): void {
    const last = this.creationOrder[this.creationOrder.length - 1];
    if (!last || compareRecords(last, record) < 0) {
      this.creationOrder.push(record);
      return;
    }
    this.creationOrder.splice(this.lowerBound(record), 0, record);
  }

  private lowerBound(record: UserRecord): number {
    let low = 0;
    let high = this.creationOrder.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareRecords(this.creationOrder[mid], record) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private creationIndexOf(record: UserRecord): number {
    const index = this.lowerBound(record);
    return this.creationOrder[index] === record ? index : -1;
  }

  private readonly listSource: ListSource = {
    ascending: (ordering) => {
      if (ordering.field === "created_at") return this.creationOrder;
      let view = this.sortedViews.get(ordering.field);
      if (!view) {
        view = [...this.creationOrder].sort(ordering.compareAscending);
        this.sortedViews.set(ordering.field, view);
      }
      return view;
    },
    byEmails: (emails) =>
      emails.flatMap((email) => {
        const id = this.idByEmail.get(String(email).trim().toLowerCase());
        const record = id === undefined ? undefined : this.byId.get(id);
        return record ? [record] : [];
      }),
    byId: (id) => this.byId.get(id),
  };
}

function normaliseEmail(email: string): string {
  const trimmed = String(email).trim().toLowerCase();
  if (!EMAIL_PATTERN.test(trimmed)) {
    throw paramFormatInvalid("email_address", "email_address must be a valid email address.");
  }
  return trimmed;
}

function normaliseUsername(username: string | null | undefined): string | null {
  if (username == null || username === "") return null;
  if (username.length < 4 || username.length > 64) {
    const message = "Username must be between 4 and 64 characters long.";
    throw new StandInError(422, "form_username_invalid_length", message, message, { param_name: "username" });
  }
  if (!USERNAME_PATTERN.test(username)) {
    const message = "Username can only contain letters, numbers and '_' or '-'.";
    throw new StandInError(422, "form_username_invalid_character", message, message, { param_name: "username" });
  }
  return username;
}
