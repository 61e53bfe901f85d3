/**
 * Tells the runner which database users a rotating pool is using (POST /api/v1/consumers/heartbeat), so a rotation
 * sees who still uses the user it is about to retire: as soon as the pool has a user, every `heartbeatMs`, and at
 * once when the set changes (the pool followed a rotation; its last connection of the old user closed). `stop()`
 * sends the leave (DELETE /api/v1/consumers/:instanceId).
 *
 * A failed report never touches the application's queries: it is told to `onEvent` and tried again with backoff
 * (1 s doubling, with jitter, up to one heartbeat; up to ten after an answer that will not change by itself, such as
 * 403). No password is ever sent: only the app name, the instance id, the folder and the user names.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { RunnerApiError } from "../provider/client";
import type { RunnerSource } from "./runner-source";

/** What the reporter tells the pool's `onEvent` (never a password). */
export type ConsumerEvent =
  | { type: "consumer"; state: "reported"; usernames: string[] }
  | { type: "consumer"; state: "report-failed"; error: string; retryInMs: number };

/** The longest a leave may hold up end() (the runner forgets the instance after its timeout anyway). */
const LEAVE_WAIT_MS = 2000;
/** At most this many users per report (the runner's limit). */
const MAX_USERNAMES = 4;
const FIRST_RETRY_MS = 1000;

/** Printable, on one line, at most 128 characters: what the runner accepts as an app name. */
export function cleanAppName(name: string): string {
  return name.replace(/\p{C}+/gu, " ").trim().slice(0, 128).trim();
}

/**
 * The app name of a pool: the `appName` option, else PGROTATE_APP_NAME, else the pool's `application_name` (or
 * PGAPPNAME), else the npm package's name (npm_package_name, set by `npm start`), else the host's name (a pod's name
 * on Kubernetes).
 */
export function defaultAppName(applicationName: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.PGROTATE_APP_NAME, applicationName, env.PGAPPNAME, env.npm_package_name, os.hostname()];
  for (const c of candidates) {
    const clean = typeof c === "string" ? cleanAppName(c) : "";
    if (clean) return clean;
  }
  return "unnamed-app";
}

export const newInstanceId = (): string => randomUUID();

export interface ReporterOptions {
  source: RunnerSource;
  instanceId: string;
  appName: string;
  heartbeatMs: number;
  /** The users the pool uses now: the one it opens connections as first, then those of connections it holds. */
  usernames: () => string[];
  notify: (e: ConsumerEvent) => void;
}

const keyOf = (names: string[]) => JSON.stringify(names);

export class ConsumerReporter {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  /** The set last reported successfully (undefined: never, or a report failed since). */
  private sent?: string;
  private failures = 0;
  private again = false;
  private stopped = false;
  private everSent = false;

  constructor(private readonly o: ReporterOptions) {}

  /** The users may have changed: report at once when they differ from what the runner was last told. */
  changed(): void {
    if (this.stopped) return;
    // After a failure the retry already scheduled sends whatever is current then: a change does not bypass the backoff.
    if (this.failures > 0 && this.timer) return;
    const now = this.current();
    if (!now.length || keyOf(now) === this.sent) return;
    this.kick();
  }

  /** Stops reporting; the runner forgets this instance at once (or after its timeout, if the leave does not arrive). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    // A heartbeat still under way must land before the leave, or it would bring the instance back.
    await this.inFlight;
    if (!this.everSent) return;
    const leave = (async () => {
      const client = await this.o.source.client();
      await client.consumerLeave(this.o.instanceId, this.o.source.folder);
    })().catch((err: unknown) => this.o.notify({ type: "consumer", state: "report-failed", error: `leave: ${message(err)}`, retryInMs: 0 }));
    await Promise.race([leave, new Promise<void>((r) => setTimeout(r, LEAVE_WAIT_MS).unref())]);
  }

  private current(): string[] {
    return this.o.usernames().slice(0, MAX_USERNAMES);
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.send().finally(() => {
      this.inFlight = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.changed();
      }
    });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, ms);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    const usernames = this.current();
    if (!usernames.length) return this.schedule(this.o.heartbeatMs);
    const { projectId, environment, secretPath } = this.o.source.folder;
    try {
      const client = await this.o.source.client();
      await client.consumerHeartbeat({ instanceId: this.o.instanceId, appName: this.o.appName, workspaceId: projectId, environment, secretPath, usernames });
    } catch (err) {
      if (err instanceof RunnerApiError && err.status === 401) this.o.source.forget();
      this.sent = undefined;
      const permanent = err instanceof RunnerApiError && err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 429;
      const cap = permanent ? 10 * this.o.heartbeatMs : this.o.heartbeatMs;
      const backoff = Math.min(cap, FIRST_RETRY_MS * 2 ** Math.min(this.failures++, 20));
      const retryInMs = Math.round(backoff / 2 + Math.random() * (backoff / 2));
      this.o.notify({ type: "consumer", state: "report-failed", error: message(err), retryInMs });
      return this.schedule(retryInMs);
    }
    const key = keyOf(usernames);
    const news = key !== this.sent;
    this.sent = key;
    this.failures = 0;
    this.everSent = true;
    if (news) this.o.notify({ type: "consumer", state: "reported", usernames });
    this.schedule(this.o.heartbeatMs);
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
