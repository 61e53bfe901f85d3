/**
 * The one typed client of the runner API, shared by the Pulumi and Terraform providers, the CLI and the web
 * console (it uses only `fetch`, so it runs in Node and in a browser). One error type, RunnerApiError, that
 * names the method and URL and carries the runner's message; it never holds the token or a password.
 */
import type { z } from "zod";
import type { ErrorBody } from "../runner/errors";
import type {
  ApiAuditLog, ApiConnection, ApiConsoleSession, ApiConsumer, ApiHistoryEntry, ApiIdentity, ApiKeys, ApiRotation, ApiToken, ApiUsage, DriftReportBody, GeneratedCredentials, LoginResult,
  PairCheckOutcome, PairCheckReport, RawSecret, Readiness, SecretChangedEvent, ServerVersion,
} from "../runner/responses";
import type {
  consoleSignInSchema, consumerHeartbeatSchema, createConnectionSchema, createIdentitySchema, createRotationSchema, createTokenSchema, pairCheckSchema,
  updateConnectionSchema,
  updateRotationSchema,
} from "../runner/schemas";

export type {
  ApiAuditLog, ApiConnection, ApiConsoleSession, ApiConsumer, ApiHistoryEntry, ApiIdentity, ApiKeys, ApiRotation, ApiToken, ApiUsage, DriftReportBody, GeneratedCredentials, LoginResult,
  PairCheckOutcome, PairCheckReport, RawSecret, Readiness, SecretChangedEvent, ServerVersion,
};
/** One entry of a connection's allowedScopes as the runner answers it (null environment or path = any). */
export type AllowedScopeEntry = ApiConnection["allowedScopes"][number];
/** POST …/app-connections/postgres/:id/pair-check */
export type PairCheckBody = z.input<typeof pairCheckSchema>;
export type CreateConnectionBody = z.input<typeof createConnectionSchema>;
export type UpdateConnectionBody = z.input<typeof updateConnectionSchema>;
export type CreateRotationBody = z.input<typeof createRotationSchema>;
export type UpdateRotationBody = z.input<typeof updateRotationSchema>;
export type CreateTokenBody = z.input<typeof createTokenSchema>;
export type CreateIdentityBody = z.input<typeof createIdentitySchema>;
export type SignInBody = z.input<typeof consoleSignInSchema>;
/** POST /api/v1/consumers/heartbeat */
export type ConsumerHeartbeatBody = z.input<typeof consumerHeartbeatSchema>;
/** POST /api/v2/secret-rotations/postgres-credentials: the rotation, its pair check, and the precheck's warnings (when any). */
export interface CreatedRotation {
  secretRotation: ApiRotation;
  pairCheck: PairCheckOutcome;
  warnings?: string[];
}
/** The IaC tools that mark what they create or update (X-Pgrotate-Managed-By). */
export type ManagedBy = "pulumi" | "terraform";

/** GET/PUT /api/v1/projects/:projectId/freeze. */
export interface ProjectFreeze {
  projectId: string;
  frozen: boolean;
  frozenReason: string | null;
  frozenAt: string | null;
  frozenBy: string | null;
}
export type RotationWindowBody = NonNullable<ApiRotation["rotationWindow"]>;
/** The audit log's query (GET /api/v1/audit-logs): newest first, `limit` 1–1000 (default 100). */
export interface AuditQuery {
  limit?: number;
  offset?: number;
  actor?: string;
  action?: string;
}

export interface Folder {
  projectId?: string;
  environment?: string;
  secretPath?: string;
}

export interface ClientOptions {
  /** Base URL of the runner, e.g. http://127.0.0.1:8080 (in the console: the page's origin). */
  url: string;
  /** Bearer token. Without one, requests carry the browser's same-origin cookies (the console's session). */
  token?: string;
  /** Refuse to build a client without a token (default true: the providers and the CLI need one). */
  requireToken?: boolean;
  /** Per request (default 30 s; a rotation through the API waits for the target). */
  timeoutMs?: number;
  /**
   * The IaC tool using this client: sent as X-Pgrotate-Managed-By on every request, so the runner marks the
   * connections and rotations it creates or updates (the console then warns before editing them).
   */
  managedBy?: ManagedBy;
  /** Extra headers computed per request (never a secret: the console marks its background refreshes). */
  headers?: () => Record<string, string>;
  /** The fetch to use (default the global one); in Node, provider/trust.ts makes one that trusts a private CA. */
  fetch?: typeof fetch;
}

/** One page of the rotation list (GET …/postgres-credentials with paging, filter or sort parameters). */
export interface RotationListQuery {
  projectId?: string;
  offset?: number;
  /** 1–500 (the runner's default 100). */
  limit?: number;
  /** Name contains, case-insensitive. */
  search?: string;
  environment?: string;
  /** Exactly this folder. */
  secretPath?: string;
  status?: ApiRotation["rotationStatus"];
  /** A field, with a leading `-` for descending (e.g. "-nextRotationAt"). */
  sort?: string;
}
export interface RotationPage {
  secretRotations: ApiRotation[];
  /** Rotations matching the filters across all pages. */
  totalCount: number;
}
/** A request's option: remember the answer's ETag and ask with If-None-Match next time (see RunnerClient.request). */
export interface RevalidateOption {
  revalidate?: boolean;
}
/** How many answers a client remembers for If-None-Match (the least recently used one is forgotten first). */
const REMEMBERED_ANSWERS = 64;

export class RunnerApiError extends Error {
  /** The HTTP status; absent when the runner could not be reached (or the client was misconfigured). */
  readonly status?: number;
  readonly code?: string;
  readonly details?: unknown;
  /** The runner's own `message` (without the method and URL this error's message adds). */
  readonly runnerMessage?: string;
  constructor(message: string, opts: { status?: number; code?: string; details?: unknown; runnerMessage?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "RunnerApiError";
    this.status = opts.status;
    this.code = opts.code;
    this.details = opts.details;
    this.runnerMessage = opts.runnerMessage;
  }
}

/** The URL as it may be shown: no userinfo, no query. */
function displayUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export class RunnerClient {
  private readonly base: URL;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly extraHeaders: () => Record<string, string>;
  private readonly fetch: typeof fetch;

  constructor(opts: ClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.url);
    } catch {
      throw new RunnerApiError(`The pgrotate runner URL ${JSON.stringify(opts.url.slice(0, 200))} is not a valid URL`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new RunnerApiError(`The pgrotate runner URL must start with http:// or https:// (got ${base.protocol})`);
    }
    if (!opts.token && opts.requireToken !== false) {
      throw new RunnerApiError("No pgrotate runner token: set pgrotate:token / PGROTATE_TOKEN (or token in the provider block)");
    }
    this.base = base;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30000;
    const managed: Record<string, string> = opts.managedBy ? { "x-pgrotate-managed-by": opts.managedBy } : {};
    const more = opts.headers;
    this.extraHeaders = more ? () => ({ ...managed, ...more() }) : () => managed;
    this.fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Runner URL as shown in messages. */
  get url(): string {
    return displayUrl(this.base).replace(/\/$/, "");
  }

  /** The URL of `path` under the runner's base URL, with the query's defined values. */
  private urlOf(path: string, query?: Record<string, string | number | boolean | undefined>): URL {
    const url = new URL(path.replace(/^\//, ""), this.base.href.endsWith("/") ? this.base.href : this.base.href + "/");
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** A fetch that failed before any answer, as the one error type (names the runner, never the token). */
  private unreachable(err: unknown, shown: string, timeoutMs: number): RunnerApiError {
    // A fetch that answers for the runner (the CLI's machine-identity login) already says what went wrong.
    if (err instanceof RunnerApiError) return err;
    const cause = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
    const why = cause.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (cause.cause?.code ?? cause.cause?.message ?? cause.message ?? "network error");
    // A certificate no trusted CA signed: say how to trust the runner's (private) CA.
    const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(why) ? " — its certificate is not trusted; give its CA with PGROTATE_CA_FILE (--ca-file)" : "";
    return new RunnerApiError(`Could not reach the pgrotate runner at ${this.url} (${shown}): ${why}${hint}`);
  }

  /** An error answer, with the runner's message (its bodies never hold a secret). */
  private answered(res: Response, text: string, shown: string): RunnerApiError {
    let e: Partial<ErrorBody>;
    try {
      e = (text ? JSON.parse(text) : {}) as Partial<ErrorBody>;
    } catch {
      e = {};
    }
    const message = typeof e.message === "string" ? e.message : `HTTP ${res.status}`;
    return new RunnerApiError(`pgrotate runner ${shown} answered ${res.status}: ${message}`, { status: res.status, code: e.error, details: e.details, runnerMessage: message });
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.extraHeaders(), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  /** Answers remembered by URL for `revalidate` requests: their ETag and parsed body (never a secret's: opt-in per request). */
  private readonly remembered = new Map<string, { etag: string; body: unknown }>();

  /**
   * One request. With `revalidate` (GETs whose answer carries an ETag: the rotation list, one rotation), the
   * answer's ETag and parsed body are remembered for its URL and the next request sends `If-None-Match`; a 304
   * then returns the remembered body itself (the same object), so an unchanged refresh costs no body and no parse.
   */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | undefined>,
    opts: { accept?: number[] } & RevalidateOption = {},
  ): Promise<T> {
    const url = this.urlOf(path, query);
    const shown = `${method} ${displayUrl(url)}`;
    const key = url.href;
    const known = opts.revalidate ? this.remembered.get(key) : undefined;
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        headers: this.headers({ ...(body === undefined ? {} : { "content-type": "application/json" }), ...(known ? { "if-none-match": known.etag } : {}) }),
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: this.token ? "omit" : "same-origin",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.unreachable(err, shown, this.timeoutMs);
    }
    const text = await res.text();
    if (known && res.status === 304) {
      this.remembered.delete(key); // most recently used last
      this.remembered.set(key, known);
      return known.body as T;
    }
    if (!res.ok && !opts.accept?.includes(res.status)) throw this.answered(res, text, shown);
    if (res.status === 204) return undefined as T;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) throw new RunnerApiError(`pgrotate runner ${shown} answered ${res.status} without a JSON body`, { status: res.status });
    if (opts.revalidate) this.remember(key, res.headers.get("etag"), parsed);
    return parsed as T;
  }

  private remember(key: string, etag: string | null, body: unknown): void {
    this.remembered.delete(key);
    if (!etag) return;
    this.remembered.set(key, { etag, body });
    if (this.remembered.size > REMEMBERED_ANSWERS) this.remembered.delete(this.remembered.keys().next().value!);
  }

  // ---- connections
  async createConnection(body: CreateConnectionBody): Promise<ApiConnection> {
    return (await this.request<{ appConnection: ApiConnection }>("POST", "/api/v1/app-connections/postgres", body)).appConnection;
  }
  async getConnection(id: string): Promise<ApiConnection> {
    return (await this.request<{ appConnection: ApiConnection }>("GET", `/api/v1/app-connections/postgres/${encodeURIComponent(id)}`)).appConnection;
  }
  async getConnectionByName(name: string): Promise<ApiConnection> {
    return (await this.request<{ appConnection: ApiConnection }>("GET", `/api/v1/app-connections/postgres/connection-name/${encodeURIComponent(name)}`)).appConnection;
  }
  async listConnections(): Promise<ApiConnection[]> {
    return (await this.request<{ appConnections: ApiConnection[] }>("GET", "/api/v1/app-connections/postgres")).appConnections;
  }
  async updateConnection(id: string, body: UpdateConnectionBody): Promise<ApiConnection> {
    return (await this.request<{ appConnection: ApiConnection }>("PATCH", `/api/v1/app-connections/postgres/${encodeURIComponent(id)}`, body)).appConnection;
  }
  async deleteConnection(id: string): Promise<ApiConnection> {
    return (await this.request<{ appConnection: ApiConnection }>("DELETE", `/api/v1/app-connections/postgres/${encodeURIComponent(id)}`)).appConnection;
  }

  // ---- rotations
  private rot(id = ""): string {
    return `/api/v2/secret-rotations/postgres-credentials${id ? `/${encodeURIComponent(id)}` : ""}`;
  }
  async createRotation(body: CreateRotationBody): Promise<ApiRotation> {
    return (await this.request<{ secretRotation: ApiRotation }>("POST", this.rot(), body)).secretRotation;
  }
  async getRotation(id: string, opts: RevalidateOption = {}): Promise<ApiRotation> {
    return (await this.request<{ secretRotation: ApiRotation }>("GET", this.rot(id), undefined, undefined, opts)).secretRotation;
  }
  /** The rotation and who uses each of its users (read on the target by the runner: include=usage). */
  async getRotationUsage(id: string): Promise<{ secretRotation: ApiRotation; usage: ApiUsage }> {
    return this.request<{ secretRotation: ApiRotation; usage: ApiUsage }>("GET", this.rot(id), undefined, { include: "usage" });
  }
  /** undefined when the runner answers 404 (deleted out of band). */
  async findRotation(id: string): Promise<ApiRotation | undefined> {
    try {
      return await this.getRotation(id);
    } catch (err) {
      if (err instanceof RunnerApiError && err.status === 404) return undefined;
      throw err;
    }
  }
  async getRotationByName(name: string, folder: Folder = {}): Promise<ApiRotation> {
    return (await this.request<{ secretRotation: ApiRotation }>("GET", `${this.rot()}/rotation-name/${encodeURIComponent(name)}`, undefined, { ...folder })).secretRotation;
  }
  async listRotations(projectId?: string): Promise<ApiRotation[]> {
    return (await this.request<{ secretRotations: ApiRotation[] }>("GET", this.rot(), undefined, { projectId })).secretRotations;
  }
  /**
   * One page of the rotations matching the filters, sorted, with their total across pages (paged, filtered and
   * sorted by the runner). Empty parameters are left out.
   */
  async listRotationsPage(query: RotationListQuery, opts: RevalidateOption = {}): Promise<RotationPage> {
    const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ""));
    // The runner answers a page (with totalCount) once any paging parameter is given: always give limit.
    return this.request<RotationPage>("GET", this.rot(), undefined, { projectId: query.projectId, limit: 100, ...q }, opts);
  }
  async updateRotation(id: string, body: UpdateRotationBody): Promise<ApiRotation> {
    return (await this.request<{ secretRotation: ApiRotation }>("PATCH", this.rot(id), body)).secretRotation;
  }
  async deleteRotation(id: string, opts: { revokeGeneratedCredentials?: boolean; deleteSecrets?: boolean } = {}): Promise<ApiRotation> {
    return (await this.request<{ secretRotation: ApiRotation }>("DELETE", this.rot(id), undefined, opts)).secretRotation;
  }
  async generatedCredentials(id: string): Promise<GeneratedCredentials> {
    return this.request<GeneratedCredentials>("GET", `${this.rot(id)}/generated-credentials`);
  }
  async rotate(id: string, opts: { force?: boolean } = {}): Promise<ApiRotation> {
    return (await this.request<{ secretRotation: ApiRotation }>("POST", `${this.rot(id)}/rotate-secrets`, undefined, { force: opts.force || undefined })).secretRotation;
  }

  /** Drift check (POST …/:id/check): do both stored passwords log in? Repaired as the rotation's driftRepair says. */
  async checkDrift(id: string): Promise<{ secretRotation: ApiRotation; drift: DriftReportBody }> {
    return this.request<{ secretRotation: ApiRotation; drift: DriftReportBody }>("POST", `${this.rot(id)}/check`);
  }

  async history(id: string): Promise<ApiHistoryEntry[]> {
    return (await this.request<{ history: ApiHistoryEntry[] }>("GET", `${this.rot(id)}/history`)).history;
  }

  /** The environments of a project that this token may see; none when no rotation files secrets in it. */
  async projectEnvironments(projectId: string): Promise<string[]> {
    return (await this.request<{ environments: string[] }>("GET", `/api/v1/projects/${encodeURIComponent(projectId)}/environments`)).environments;
  }

  // ---- project freezes (pgrotate extension)
  async projectFreeze(projectId: string): Promise<ProjectFreeze> {
    return this.request<ProjectFreeze>("GET", `/api/v1/projects/${encodeURIComponent(projectId)}/freeze`);
  }
  /** Freezes the project (no scheduled rotation of it runs; manual ones need force) or, with null, unfreezes it. */
  async setProjectFreeze(projectId: string, reason: string | null): Promise<ProjectFreeze> {
    const body = reason === null ? { frozen: false } : { frozen: true, reason };
    return this.request<ProjectFreeze>("PUT", `/api/v1/projects/${encodeURIComponent(projectId)}/freeze`, body);
  }

  // ---- operations (no token needed)
  async health(): Promise<{ status: string }> {
    return this.request<{ status: string }>("GET", "/healthz");
  }
  /** The runner's version: `info.version` of its API reference (GET /openapi.json, no token). */
  async runnerVersion(): Promise<string> {
    return (await this.request<{ info: { version: string } }>("GET", "/openapi.json")).info.version;
  }
  /** Readiness and counts; a 503 is returned as { status: "not ready", reason }, not thrown. */
  async readiness(): Promise<Readiness> {
    return this.request<Readiness>("GET", "/readyz", undefined, undefined, { accept: [503] });
  }

  // ---- access (admin)
  async createToken(body: CreateTokenBody): Promise<{ token: ApiToken; secret: string }> {
    return this.request<{ token: ApiToken; secret: string }>("POST", "/api/v1/auth/tokens", body);
  }
  async listTokens(): Promise<ApiToken[]> {
    return (await this.request<{ tokens: ApiToken[] }>("GET", "/api/v1/auth/tokens")).tokens;
  }
  async revokeToken(id: string): Promise<ApiToken> {
    return (await this.request<{ token: ApiToken }>("DELETE", `/api/v1/auth/tokens/${encodeURIComponent(id)}`)).token;
  }
  async createIdentity(body: CreateIdentityBody): Promise<{ identity: ApiIdentity; clientId: string; clientSecret: string }> {
    return this.request<{ identity: ApiIdentity; clientId: string; clientSecret: string }>("POST", "/api/v1/auth/identities", body);
  }
  async listIdentities(): Promise<ApiIdentity[]> {
    return (await this.request<{ identities: ApiIdentity[] }>("GET", "/api/v1/auth/identities")).identities;
  }
  async revokeIdentity(id: string): Promise<ApiIdentity> {
    return (await this.request<{ identity: ApiIdentity }>("DELETE", `/api/v1/auth/identities/${encodeURIComponent(id)}`)).identity;
  }
  /** Infisical's universal-auth login (needs no token). */
  async login(clientId: string, clientSecret: string): Promise<LoginResult> {
    return this.request<LoginResult>("POST", "/api/v1/auth/universal-auth/login", { clientId, clientSecret });
  }
  async auditLogs(q: AuditQuery = {}): Promise<ApiAuditLog[]> {
    return (await this.request<{ auditLogs: ApiAuditLog[] }>("GET", "/api/v1/audit-logs", undefined, { ...q })).auditLogs;
  }
  /** The keyring's key ids, the values each seals, and this runner's last rekey. */
  async keys(): Promise<ApiKeys> {
    return this.request<ApiKeys>("GET", "/api/v1/admin/keys");
  }
  /** Starts a rekey on this runner (or leaves the one running there); follow it with keys(). */
  async rekey(body: { batchSize?: number } = {}): Promise<ApiKeys> {
    return this.request<ApiKeys>("POST", "/api/v1/admin/keys/rekey", body);
  }

  // ---- web console session (cookie; the browser never holds the token)
  /** Exchanges a token, or an identity's client id and secret, for a session cookie. */
  async signIn(body: SignInBody): Promise<ApiConsoleSession> {
    return (await this.request<{ session: ApiConsoleSession }>("POST", "/api/v1/console/session", body)).session;
  }
  /** Who is signed in (with a bearer token: that token's principal, without session times). */
  async session(): Promise<ApiConsoleSession> {
    return (await this.request<{ session: ApiConsoleSession }>("GET", "/api/v1/console/session")).session;
  }
  async signOut(): Promise<void> {
    await this.request<{ signedOut: boolean }>("DELETE", "/api/v1/console/session");
  }

  // ---- secrets
  async rawSecrets(folder: Folder = {}): Promise<RawSecret[]> {
    return (await this.request<{ secrets: RawSecret[] }>("GET", "/api/v3/secrets/raw", undefined, this.folderQuery(folder))).secrets;
  }
  async rawSecret(name: string, folder: Folder = {}): Promise<RawSecret> {
    return (await this.request<{ secret: RawSecret }>("GET", `/api/v3/secrets/raw/${encodeURIComponent(name)}`, undefined, this.folderQuery(folder))).secret;
  }

  // ---- consumers (applications reporting which database users they use)
  async consumerHeartbeat(body: ConsumerHeartbeatBody): Promise<void> {
    await this.request<undefined>("POST", "/api/v1/consumers/heartbeat", body);
  }
  async consumerLeave(instanceId: string, folder: Folder = {}): Promise<void> {
    await this.request<undefined>("DELETE", `/api/v1/consumers/${encodeURIComponent(instanceId)}`, undefined, this.folderQuery(folder));
  }
  async listConsumers(folder: Folder = {}): Promise<ApiConsumer[]> {
    return (await this.request<{ consumers: ApiConsumer[] }>("GET", "/api/v1/consumers", undefined, this.folderQuery(folder))).consumers;
  }
  private folderQuery(f: Folder) {
    return { workspaceId: f.projectId, environment: f.environment, secretPath: f.secretPath };
  }

  /** The store's backup (GET /api/v1/admin/backup, the admin token): its JSON lines, as they arrive. */
  async backup(): Promise<ReadableStream<Uint8Array>> {
    const url = this.urlOf("/api/v1/admin/backup");
    const shown = `GET ${displayUrl(url)}`;
    let res: Response;
    try {
      res = await this.fetch(url, { headers: this.headers(), credentials: this.token ? "omit" : "same-origin", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw this.unreachable(err, shown, this.timeoutMs);
    }
    if (!res.ok || !res.body) throw this.answered(res, await res.text(), shown);
    return res.body;
  }

  // ---- the app side: pair check, server version, change feed

  /** Are two users interchangeable on the connection's database? (POST …/app-connections/postgres/:id/pair-check) */
  async pairCheck(connectionId: string, body: PairCheckBody): Promise<PairCheckReport> {
    return this.request<PairCheckReport>("POST", `/api/v1/app-connections/postgres/${encodeURIComponent(connectionId)}/pair-check`, body);
  }
  /** The pair check of a rotation's two users (`pgrotate check <rotation>`). */
  async rotationPairCheck(rotationId: string): Promise<PairCheckReport> {
    return this.request<PairCheckReport>("GET", `${this.rot(rotationId)}/pair-check`);
  }
  /**
   * Create, with the whole answer: the pair check the runner ran on the new rotation (a warning, never a refusal)
   * and the precheck's `warnings` (what works, but less well, e.g. the connection role lacks pg_monitor), when any.
   */
  async createRotationChecked(body: CreateRotationBody): Promise<CreatedRotation> {
    return this.request<CreatedRotation>("POST", this.rot(), body);
  }
  /** The connection's server version (`pgrotate setup-sql --connection`: its major is the default --server-version). */
  async connectionServerVersion(connectionId: string): Promise<ServerVersion> {
    return this.request<ServerVersion>("GET", `/api/v1/app-connections/postgres/${encodeURIComponent(connectionId)}/server-version`);
  }

  /**
   * The change feed of a folder (GET /api/v1/events/secrets, Server-Sent Events) as an async iterable of its
   * messages: `secret.changed`, `ready`, `reset`, and `heartbeat` for an id-only message. Every message carries
   * the Last-Event-ID to resume from. Ends when the runner closes the stream; throws RunnerApiError when it
   * cannot connect, answers an error, or sends nothing for `idleTimeoutMs` (default 45 s: three heartbeats).
   * Stop it with `signal` or by leaving the loop.
   */
  secretEvents(folder: Folder = {}, opts: { lastEventId?: string; signal?: AbortSignal; idleTimeoutMs?: number } = {}): AsyncGenerator<FeedEvent> {
    return this.eventStream("/api/v1/events/secrets", this.folderQuery(folder), "change feed", opts);
  }

  /**
   * The rotation-status stream (GET /api/v1/events/rotations, Server-Sent Events) of the rotations in the token's
   * scope, narrowed by `folder` (each part exact): `rotation.changed` ({ rotationId, rotationStatus, updatedAt }),
   * `rotation.deleted` ({ rotationId }) and `ready` (re-read now: there is no resume). Ends and throws like secretEvents.
   */
  rotationEvents(folder: Folder = {}, opts: { signal?: AbortSignal; idleTimeoutMs?: number } = {}): AsyncGenerator<FeedEvent> {
    return this.eventStream("/api/v1/events/rotations", this.folderQuery(folder), "rotation-status stream", opts);
  }

  private async *eventStream(
    path: string,
    query: Record<string, string | undefined>,
    what: string,
    opts: { lastEventId?: string; signal?: AbortSignal; idleTimeoutMs?: number },
  ): AsyncGenerator<FeedEvent> {
    const url = this.urlOf(path, query);
    const shown = `GET ${displayUrl(url)}`;
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    opts.signal?.addEventListener("abort", onAbort);
    const idleMs = opts.idleTimeoutMs ?? 45_000;
    let idle = false;
    let timer = setTimeout(() => abort.abort(), this.timeoutMs);
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        abort.abort();
      }, idleMs);
    };
    let cancel: (() => Promise<void>) | undefined;
    try {
      let res: Response;
      try {
        res = await this.fetch(url, {
          headers: this.headers({ accept: "text/event-stream", ...(opts.lastEventId ? { "last-event-id": opts.lastEventId } : {}) }),
          credentials: this.token ? "omit" : "same-origin",
          signal: abort.signal,
        });
      } catch (err) {
        if (opts.signal?.aborted) return;
        throw this.unreachable(abort.signal.aborted ? { name: "TimeoutError" } : err, shown, this.timeoutMs);
      }
      if (!res.ok) throw this.answered(res, await res.text(), shown);
      if (!res.headers.get("content-type")?.startsWith("text/event-stream") || !res.body) {
        throw new RunnerApiError(`pgrotate runner ${shown} answered ${res.status} without an event stream`, { status: res.status });
      }
      quiet();
      const reader = res.body.getReader();
      cancel = () => reader.cancel();
      const next = async () => {
        try {
          return await reader.read();
        } catch (err) {
          if (opts.signal?.aborted) return { done: true as const, value: undefined };
          if (idle) throw new RunnerApiError(`The ${what} of the pgrotate runner at ${this.url} sent nothing for ${idleMs} ms (${shown})`);
          throw this.unreachable(err, shown, this.timeoutMs);
        }
      };
      const parser = new SseParser(opts.lastEventId);
      for (;;) {
        const chunk = await next();
        if (chunk.done) return;
        quiet();
        for (const ev of parser.push(chunk.value)) yield ev;
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      abort.abort();
      await cancel?.().catch(() => undefined);
    }
  }
}

/** One message of the change feed. `lastEventId` is where a reconnect resumes (send it as lastEventId). */
export interface FeedEvent {
  event: "secret.changed" | "ready" | "reset" | "heartbeat" | (string & {});
  lastEventId: string | undefined;
  /** The parsed JSON data (`SecretChangedEvent` for secret.changed); undefined for a heartbeat. */
  data: unknown;
}

/** The part of the text/event-stream format (WHATWG HTML, "server-sent events") the feed uses. */
class SseParser {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private data: string[] = [];
  private event = "";
  private sawId = false;

  constructor(private lastEventId: string | undefined) {}

  push(bytes: Uint8Array): FeedEvent[] {
    this.buffer += this.decoder.decode(bytes, { stream: true });
    const out: FeedEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      if (line === "") {
        const ev = this.dispatch();
        if (ev) out.push(ev);
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") this.data.push(value);
      else if (field === "event") this.event = value;
      else if (field === "id" && !value.includes("\0")) {
        this.lastEventId = value;
        this.sawId = true;
      }
    }
    return out;
  }

  private dispatch(): FeedEvent | undefined {
    const data = this.data;
    const event = this.event;
    const sawId = this.sawId;
    this.data = [];
    this.event = "";
    this.sawId = false;
    if (!data.length) return sawId ? { event: "heartbeat", lastEventId: this.lastEventId, data: undefined } : undefined;
    const text = data.join("\n");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { event: event || "message", lastEventId: this.lastEventId, data: parsed };
  }
}
