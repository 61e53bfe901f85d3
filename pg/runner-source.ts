/**
 * Where a rotating pool gets its credentials from a pgrotate runner: the folder's raw secrets in ONE list read
 * (the runner answers a list read from one committed state, so the username and password always belong
 * together), with a token or a machine identity (universal-auth login, renewed before the access token
 * expires and again after a 401). And the runner's change feed, which says when to read again.
 */
import { type ClientOptions, type Folder, RunnerApiError, RunnerClient } from "../provider/client";
import { fetchTrusting } from "../provider/trust";

export interface Credentials {
  username: string;
  password: string;
}

export interface RunnerSourceOptions {
  /** Base URL of the runner, e.g. http://pgrotate.internal:8080. */
  runnerUrl: string;
  /** A bearer token that may read the folder (ideally a read token scoped to it)… */
  token?: string;
  /** …or a machine identity: the pool logs in and logs in again when its access token expires. */
  identity?: { clientId: string; clientSecret: string };
  /** The rotation's folder (the runner's defaults: "default", "dev", "/"). */
  projectId?: string;
  environment?: string;
  secretPath?: string;
  /** The rotation's secretsMapping names. */
  usernameKey: string;
  passwordKey: string;
  /** Per request to the runner (default 10 s). */
  timeoutMs?: number;
  /**
   * The CA (PEM, one or more certificates) that signed the runner's HTTPS certificate, when it is a private one:
   * trusted beside the system's CAs, for the runner only. E.g. `fs.readFileSync(process.env.PGROTATE_CA_FILE)`.
   */
  ca?: string | Buffer;
}

/** Renew an identity's access token when this share of its lifetime has passed. */
const RENEW_AT = 0.8;

export class RunnerSource {
  readonly folder: Folder;
  private session?: Promise<{ client: RunnerClient; renewAt: number }>;
  private readonly fixed?: RunnerClient;
  /** What every client of this source shares: the URL, the timeout and the fetch (trusting `ca`). */
  private readonly base: Pick<ClientOptions, "url" | "timeoutMs" | "fetch">;

  constructor(private readonly o: RunnerSourceOptions) {
    if (!o.token === !o.identity) throw new TypeError("pgrotate/pg: give the runner options either token or identity: { clientId, clientSecret }");
    if (!o.usernameKey || !o.passwordKey) throw new TypeError("pgrotate/pg: usernameKey and passwordKey (the rotation's secretsMapping names) are required");
    this.folder = { projectId: o.projectId ?? "default", environment: o.environment ?? "dev", secretPath: o.secretPath ?? "/" };
    this.base = { url: o.runnerUrl, timeoutMs: o.timeoutMs ?? 10_000, fetch: o.ca ? fetchTrusting(o.ca) : undefined };
    // Validates the URL at once (RunnerApiError naming it).
    this.fixed = o.token ? new RunnerClient({ ...this.base, token: o.token }) : undefined;
    if (!this.fixed) new RunnerClient({ ...this.base, requireToken: false });
  }

  get keys(): [string, string] {
    return [this.o.usernameKey, this.o.passwordKey];
  }

  /** A client with a valid token: the fixed one, or the identity's (logging in when there is none or it is due). */
  async client(): Promise<RunnerClient> {
    if (this.fixed) return this.fixed;
    const seen = this.session;
    const current = seen && (await seen.catch(() => undefined));
    if (current && Date.now() < current.renewAt) return current.client;
    // The first caller to find the session missing, failed or due logs in; the others wait for that login.
    if (this.session === seen) this.session = this.login();
    return (await this.session!).client;
  }

  /** The identity's access token was refused: the next client() logs in again. */
  forget(): void {
    this.session = undefined;
  }

  private async login(): Promise<{ client: RunnerClient; renewAt: number }> {
    const { clientId, clientSecret } = this.o.identity!;
    const started = Date.now();
    const r = await new RunnerClient({ ...this.base, requireToken: false }).login(clientId, clientSecret);
    return {
      client: new RunnerClient({ ...this.base, token: r.accessToken }),
      renewAt: started + r.expiresIn * 1000 * RENEW_AT,
    };
  }

  /** The active username and password, from one list read of the folder. */
  async read(): Promise<Credentials> {
    let secrets;
    try {
      secrets = await (await this.client()).rawSecrets(this.folder);
    } catch (err) {
      if (!(this.o.identity && err instanceof RunnerApiError && err.status === 401)) throw err;
      // The access token expired or was revoked before its time: log in again, once.
      this.forget();
      secrets = await (await this.client()).rawSecrets(this.folder);
    }
    const value = (key: string) => {
      const s = secrets.find((x) => x.secretKey === key);
      if (!s) {
        const { projectId, environment, secretPath } = this.folder;
        throw new RunnerApiError(`The pgrotate runner at ${this.fixed?.url ?? this.o.runnerUrl} has no secret ${JSON.stringify(key)} in project ${projectId}, environment ${environment}, path ${secretPath}`);
      }
      return s.secretValue;
    };
    return { username: value(this.o.usernameKey), password: value(this.o.passwordKey) };
  }
}

export type FeedState = { type: "feed"; state: "connected" } | { type: "feed"; state: "disconnected"; error: string };

/**
 * Follows the folder's change feed until stop(): calls `changed` when a change names one of the keys, when
 * the runner says to re-read (reset), and once after the first connect (a change may have happened between
 * the first read and the subscription). Reconnects with backoff and jitter (0.5 s doubling to 10 s), resuming from
 * the last event id.
 */
export class FeedFollower {
  private readonly abort = new AbortController();
  private done?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly source: RunnerSource,
    private readonly changed: (reason: "feed" | "feed-reset") => void,
    private readonly report: (e: FeedState) => void,
  ) {}

  start(): void {
    this.done ??= this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    let lastEventId: string | undefined;
    let backoff = 500;
    let first = true;
    const keys = new Set(this.source.keys);
    while (!this.abort.signal.aborted) {
      try {
        const client = await this.source.client();
        for await (const ev of client.secretEvents(this.source.folder, { lastEventId, signal: this.abort.signal })) {
          lastEventId = ev.lastEventId ?? lastEventId;
          if (ev.event === "ready") {
            backoff = 500;
            this.report({ type: "feed", state: "connected" });
            if (first) this.changed("feed");
            first = false;
          } else if (ev.event === "reset") {
            backoff = 500;
            first = false;
            this.report({ type: "feed", state: "connected" });
            this.changed("feed-reset");
          } else if (ev.event === "secret.changed") {
            const names = (ev.data as { secretKeys?: unknown }).secretKeys;
            if (!Array.isArray(names) || names.some((n) => keys.has(String(n)))) this.changed("feed");
          }
        }
        if (!this.abort.signal.aborted) this.report({ type: "feed", state: "disconnected", error: "the runner closed the change feed" });
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (err instanceof RunnerApiError && err.status === 401) this.source.forget();
        this.report({ type: "feed", state: "disconnected", error: err instanceof Error ? err.message : String(err) });
      }
      if (this.abort.signal.aborted) break;
      await this.sleep(backoff / 2 + Math.random() * (backoff / 2));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
