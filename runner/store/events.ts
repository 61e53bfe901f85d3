/**
 * LISTEN on the store for the notifications of migrations 004, 006, 008, 013 and 020 on one dedicated connection.
 * While it is not connected, `live` is false and caches must not serve (they read the store instead); every
 * (re)connect and every loss resets them, so a notification missed while disconnected never leaves a stale entry.
 *
 * A connection can also die without a word (a NAT or load balancer that dropped the idle flow): nothing arrives
 * and nothing is closed. So it is probed — a query that must answer within a few seconds — and at the first
 * doubt it is dropped (its socket destroyed), the caches are flushed and a new one is opened. Caches also bound
 * the age of what they serve (PGROTATE_CACHE_MAX_AGE_SECONDS), so even a loss no probe noticed is bounded.
 */
import net from "node:net";
import { Client } from "pg";
import type { Logger } from "../logger";

export type Channel = "pgrotate_secrets" | "pgrotate_access" | "pgrotate_schedule" | "pgrotate_secret_events" | "pgrotate_rotations";
const CHANNELS: Channel[] = ["pgrotate_secrets", "pgrotate_access", "pgrotate_schedule", "pgrotate_secret_events", "pgrotate_rotations"];

/** How often the listener is probed, and how long a probe may take before the connection counts as lost. */
export const STORE_PROBE_MS = 5000;
export const STORE_PROBE_TIMEOUT_MS = 5000;
const RECONNECT_MS = 1000;

export class StoreEvents {
  private client?: Client;
  /** The socket under `client`, so a silent connection can be closed at once (pg's end() waits for the server). */
  private socket?: net.Socket;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private probing = false;
  live = false;
  /** Since when the listener has been down (null while live). */
  downSince: Date | null = new Date();
  private readonly handlers = new Map<Channel, Array<(payload: string) => void>>();
  private readonly resets: Array<() => void> = [];

  constructor(private readonly d: { connectionString: string; logger: Logger; probeMs?: number; probeTimeoutMs?: number }) {}

  on(channel: Channel, fn: (payload: string) => void): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), fn]);
  }

  /** Called whenever the listener (re)connects or drops: caches flush everything. */
  onReset(fn: () => void): void {
    this.resets.push(fn);
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.probeTimer = setInterval(() => this.probe(), this.d.probeMs ?? STORE_PROBE_MS);
    this.probeTimer.unref();
    await this.connect().catch(() => this.scheduleReconnect());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.probeTimer);
    this.drop();
  }

  private async connect(): Promise<void> {
    let socket: net.Socket | undefined;
    const client = new Client({
      connectionString: this.d.connectionString,
      application_name: "pgrotate-listen",
      connectionTimeoutMillis: 5000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      stream: () => (socket = new net.Socket()),
    });
    client.on("error", (err) => this.lost(client, `its connection failed (${err.message})`));
    client.on("end", () => this.lost(client, "the store closed it"));
    client.on("notification", (n) => {
      for (const fn of this.handlers.get(n.channel as Channel) ?? []) fn(n.payload ?? "");
    });
    try {
      await client.connect();
      for (const channel of CHANNELS) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      socket?.destroy();
      client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      socket?.destroy();
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.socket = socket;
    this.reset();
    this.live = true;
    this.downSince = null;
  }

  /** A query that must answer in time; a silent or failing connection is dropped and replaced. */
  private probe(): void {
    const client = this.client;
    if (!client || this.probing) return;
    this.probing = true;
    const timeout = this.d.probeTimeoutMs ?? STORE_PROBE_TIMEOUT_MS;
    const timer = setTimeout(() => this.lost(client, `a probe got no answer within ${timeout} ms`), timeout);
    client
      .query("SELECT 1")
      .then(
        () => undefined,
        (err: Error) => this.lost(client, `a probe failed (${err.message})`),
      )
      .finally(() => {
        clearTimeout(timer);
        this.probing = false;
      });
  }

  private lost(client: Client, why: string): void {
    if (client !== this.client) return;
    this.drop();
    if (!this.stopped) {
      this.d.logger.warn({ why }, "lost the store notification connection; caches bypassed until it is back");
      this.scheduleReconnect();
    }
  }

  private drop(): void {
    if (this.live) this.downSince = new Date();
    this.live = false;
    this.reset();
    const c = this.client;
    this.client = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    this.probing = false;
    c?.end().catch(() => undefined);
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (!this.stopped) this.connect().catch(() => this.scheduleReconnect());
    }, RECONNECT_MS);
    this.retry.unref();
  }

  private reset(): void {
    for (const fn of this.resets) fn();
  }
}
