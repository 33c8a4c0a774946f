import { StandInError } from "../errors.js";
import { newId } from "../ids.js";
import type { StateFile } from "../store/state-file.js";

/**
 * Clients, sessions and session tokens of the stand-in's Frontend API.
 *
 * A *client* is one browser (Clerk keeps its id in the HttpOnly `__client`
 * cookie on the Frontend API's host); a client holds sessions, and an active
 * session yields 60-second session tokens that @clerk/backend verifies exactly
 * as it verifies Clerk's. With a state file every client and session is
 * written through, so a restarted stand-in still knows the browser's
 * `__client` cookie and the browser stays signed in; sign-in and sign-up
 * attempts in progress are not kept.
 */

/** Clerk's session tokens live 60 s; clerk-js refreshes them through `/tokens`. */
export const SESSION_TOKEN_LIFETIME_SECONDS = 60;
/**
 * Clerk back-dates `nbf` by a few seconds so a server whose clock runs slightly
 * behind the issuer's still accepts a fresh token.
 */
const NOT_BEFORE_SKEW_SECONDS = 10;
/** Clerk's default session lifetime (dashboard → Sessions: 7 days). */
const SESSION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
const SESSION_ABANDON_MS = 30 * 24 * 60 * 60 * 1000;

/** What sessions need from the core's key material (see keys.ts). */
export interface SessionSigningKeys {
  signJwt(payload: Record<string, unknown>, headerExtras?: Record<string, unknown>): string | Promise<string>;
}

/** What sessions need from the core's user store (see store.ts). */
export interface SessionUserSource {
  get(id: string): unknown;
  on(listener: (change: { type: string; id?: string; user?: { id?: string } | unknown }) => void): () => void;
  /** Sessions belong to users: a store reset ends them too. */
  onReset?(listener: () => void): () => void;
  /** The user store's state file; sessions are kept in the same one. */
  stateFile?: StateFile | null;
}

export type SessionStatus = "active" | "ended" | "removed" | "revoked" | "expired";

export interface SessionRecord {
  id: string;
  clientId: string;
  userId: string;
  status: SessionStatus;
  createdAt: number;
  updatedAt: number;
  lastActiveAt: number;
  expireAt: number;
  abandonAt: number;
  /** Origin of the app the session was made for; becomes the token's `azp`. */
  authorizedParty: string | null;
  /** The organization chosen in the browser (`setActive({ organization })`); absent in files from before organizations. */
  activeOrganizationId?: string | null;
}

/** The active organization as session tokens name it (the `o` claim). */
export interface ActiveOrganization {
  id: string;
  slug: string;
  /** `org:admin`, `org:member`. */
  role: string;
}

export interface ClientRecord {
  id: string;
  sessionIds: string[];
  lastActiveSessionId: string | null;
  /** Current sign-in / sign-up attempt ids, owned by the Frontend API module. */
  signInId: string | null;
  signUpId: string | null;
  createdAt: number;
  updatedAt: number;
  /**
   * Unix seconds of the last sign-in or sign-out on this client: the value of
   * `__client_uat`. @clerk/backend rejects a session token issued before it,
   * so a token from before a sign-out can never sign a request in again.
   */
  uatSeconds: number;
}

export interface SessionManagerOptions {
  keys: SessionSigningKeys;
  users: SessionUserSource;
  /** `https://<Frontend API host decoded from the publishable key>`. */
  issuer: string;
  tokenLifetimeSeconds?: number;
  /** Clock in ms, injectable so tests can mint tokens in the past. */
  now?: () => number;
  /** Where clients and sessions are kept; the user store's state file when not given. */
  stateFile?: StateFile | null;
  /** The user's membership of an organization, if they still have one: what puts `o` in a token. */
  organizationOf?: (userId: string, organizationId: string) => ActiveOrganization | undefined;
}

export class SessionManager {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly unsubscribe: () => void;
  private readonly stateFile: StateFile | null;
  readonly issuer: string;
  readonly tokenLifetimeSeconds: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionManagerOptions) {
    this.issuer = options.issuer;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? SESSION_TOKEN_LIFETIME_SECONDS;
    this.now = options.now ?? Date.now;
    this.stateFile = options.stateFile ?? options.users.stateFile ?? null;
    if (this.stateFile) this.restore(this.stateFile);
    // Deleting a user in Clerk revokes their sessions at once; the next token
    // refresh fails and clerk-js signs the browser out.
    const unsubscribeUsers = options.users.on((change) => {
      if (change.type !== "user.deleted") return;
      const user = change.user as { id?: string } | undefined;
      const userId = change.id ?? user?.id;
      if (userId) this.revokeUserSessions(userId);
    });
    const unsubscribeReset = options.users.onReset?.(() => this.reset());
    this.unsubscribe = () => {
      unsubscribeUsers();
      unsubscribeReset?.();
    };
  }

  close(): void {
    this.unsubscribe();
  }

  /** Forgets every client and session (the control API's reset); returns how many there were. */
  reset(): { clients: number; sessions: number } {
    const erased = { clients: this.clients.size, sessions: this.sessions.size };
    this.clients.clear();
    this.sessions.clear();
    this.stateFile?.clear(["clients", "sessions"]);
    return erased;
  }

  private restore(stateFile: StateFile): void {
    for (const client of stateFile.load<ClientRecord>("clients")) {
      // The attempts these point at lived in memory only.
      this.clients.set(client.id, { ...client, signInId: null, signUpId: null });
    }
    for (const session of stateFile.load<SessionRecord>("sessions")) this.sessions.set(session.id, session);
  }

  getClient(id: string | undefined | null): ClientRecord | undefined {
    return id ? this.clients.get(id) : undefined;
  }

  /** The browser's client, created on its first request without a valid `__client`. */
  ensureClient(id: string | undefined | null): ClientRecord {
    const existing = this.getClient(id);
    if (existing) return existing;
    const now = this.now();
    const client: ClientRecord = {
      id: newId("client"),
      sessionIds: [],
      lastActiveSessionId: null,
      signInId: null,
      signUpId: null,
      createdAt: now,
      updatedAt: now,
      uatSeconds: 0,
    };
    this.clients.set(client.id, client);
    this.stateFile?.saveClient(client);
    return client;
  }

  getSession(id: string): SessionRecord | undefined {
    const session = this.sessions.get(id);
    if (session) this.expireIfDue(session);
    return session;
  }

  /** Sessions the client still shows (active ones; ended ones are dropped like Clerk does). */
  activeSessions(client: ClientRecord): SessionRecord[] {
    return client.sessionIds
      .map((id) => this.getSession(id))
      .filter((s): s is SessionRecord => s?.status === "active" && this.options.users.get(s.userId) != null);
  }

  /** Starts a session for `userId` on `client` and makes it the active one. */
  createSession(client: ClientRecord, userId: string, authorizedParty: string | null = null): SessionRecord {
    if (this.options.users.get(userId) == null) {
      throw new StandInError(404, "resource_not_found", `No user ${userId}`);
    }
    const now = this.now();
    const session: SessionRecord = {
      id: newId("sess"),
      clientId: client.id,
      userId,
      status: "active",
      createdAt: now,
      updatedAt: now,
      lastActiveAt: now,
      expireAt: now + SESSION_LIFETIME_MS,
      abandonAt: now + SESSION_ABANDON_MS,
      authorizedParty,
    };
    this.sessions.set(session.id, session);
    this.stateFile?.saveSession(session);
    // Single-session mode, like a default Clerk instance: a new sign-in replaces the old one.
    for (const old of this.activeSessions(client)) this.setStatus(old, "ended");
    client.sessionIds = [...client.sessionIds.filter((id) => this.sessions.get(id)?.status === "active"), session.id];
    client.lastActiveSessionId = session.id;
    this.touchClient(client, true);
    return session;
  }

  /** Marks one session as the client's active one (clerk-js `touch`). */
  touchSession(client: ClientRecord, sessionId: string, authorizedParty?: string | null): SessionRecord {
    const session = this.requireActive(client, sessionId);
    session.lastActiveAt = this.now();
    session.updatedAt = session.lastActiveAt;
    if (authorizedParty) session.authorizedParty = authorizedParty;
    this.stateFile?.saveSession(session);
    client.lastActiveSessionId = session.id;
    this.touchClient(client, false);
    return session;
  }

  /** clerk-js `touch` with `active_organization_id`: none (null) or an organization the user belongs to. */
  setActiveOrganization(session: SessionRecord, organizationId: string | null): void {
    const member = organizationId ? this.options.organizationOf?.(session.userId, organizationId) : undefined;
    session.activeOrganizationId = member ? member.id : null;
    this.stateFile?.saveSession(session);
  }

  /** The session's active organization while the user still belongs to it. */
  activeOrganization(session: SessionRecord, organizationId = session.activeOrganizationId): ActiveOrganization | null {
    return (organizationId && this.options.organizationOf?.(session.userId, organizationId)) || null;
  }

  endSession(client: ClientRecord, sessionId: string, status: "ended" | "removed" = "ended"): SessionRecord {
    const session = this.sessions.get(sessionId);
    if (!session || session.clientId !== client.id) {
      throw new StandInError(404, "resource_not_found", `No session ${sessionId} on this client`);
    }
    this.setStatus(session, status);
    this.afterSessionsChanged(client);
    return session;
  }

  /** Sign-out: ends every session of the client but keeps the client itself. */
  endAllSessions(client: ClientRecord): void {
    for (const session of this.activeSessions(client)) this.setStatus(session, "ended");
    this.afterSessionsChanged(client);
  }

  revokeUserSessions(userId: string): void {
    const touched = new Set<ClientRecord>();
    for (const session of this.sessions.values()) {
      if (session.userId !== userId || session.status !== "active") continue;
      this.setStatus(session, "revoked");
      const client = this.clients.get(session.clientId);
      if (client) touched.add(client);
    }
    for (const client of touched) this.afterSessionsChanged(client);
  }

  /**
   * A session token as Clerk issues it: RS256 with the instance's `kid`, and
   * the claims @clerk/backend reads (`sub`, `sid`, `iat`, `nbf`, `exp`, `iss`,
   * `azp`, plus the v2 `fva`/`v` claims current Clerk tokens carry), and the
   * active organization as v2's `o: { id, rol, slg }` (what @clerk/backend
   * reads as `orgId`, `orgRole`, `orgSlug`). `organizationId` asks for a token
   * of another organization than the session's (clerk-js's `organization_id`).
   */
  async mintSessionToken(
    session: SessionRecord,
    opts: { authorizedParty?: string | null; organizationId?: string | null } = {},
  ): Promise<string> {
    this.expireIfDue(session);
    if (session.status !== "active" || this.options.users.get(session.userId) == null) {
      throw new StandInError(401, "authentication_invalid", `Session ${session.id} is ${session.status}`);
    }
    const iat = Math.floor(this.now() / 1000);
    const azp = opts.authorizedParty ?? session.authorizedParty;
    const minutesSinceSignIn = Math.floor((this.now() - session.createdAt) / 60_000);
    const organization = this.activeOrganization(
      session,
      opts.organizationId === undefined ? session.activeOrganizationId : opts.organizationId,
    );
    const payload: Record<string, unknown> = {
      ...(azp ? { azp } : {}),
      exp: iat + this.tokenLifetimeSeconds,
      fva: [minutesSinceSignIn, -1],
      iat,
      iss: this.issuer,
      nbf: iat - NOT_BEFORE_SKEW_SECONDS,
      ...(organization
        ? { o: { id: organization.id, rol: organization.role.replace(/^org:/, ""), slg: organization.slug } }
        : {}),
      sid: session.id,
      sts: "active",
      sub: session.userId,
      v: 2,
    };
    return await this.options.keys.signJwt(payload);
  }

  private requireActive(client: ClientRecord, sessionId: string): SessionRecord {
    const session = this.getSession(sessionId);
    if (!session || session.clientId !== client.id) {
      throw new StandInError(404, "resource_not_found", `No session ${sessionId} on this client`);
    }
    if (session.status !== "active" || this.options.users.get(session.userId) == null) {
      throw new StandInError(401, "authentication_invalid", `Session ${sessionId} is ${session.status}`);
    }
    return session;
  }

  private setStatus(session: SessionRecord, status: SessionStatus): void {
    session.status = status;
    session.updatedAt = this.now();
    this.stateFile?.saveSession(session);
  }

  private expireIfDue(session: SessionRecord): void {
    if (session.status === "active" && session.expireAt <= this.now()) this.setStatus(session, "expired");
  }

  private afterSessionsChanged(client: ClientRecord): void {
    const active = this.activeSessions(client);
    client.sessionIds = active.map((s) => s.id);
    if (!active.some((s) => s.id === client.lastActiveSessionId)) {
      client.lastActiveSessionId = active.at(-1)?.id ?? null;
    }
    this.touchClient(client, true);
  }

  private touchClient(client: ClientRecord, authChanged: boolean): void {
    client.updatedAt = this.now();
    if (authChanged) client.uatSeconds = client.sessionIds.length > 0 ? Math.floor(client.updatedAt / 1000) : 0;
    this.stateFile?.saveClient(client);
  }
}
