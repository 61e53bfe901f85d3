/**
 * LISTEN on the store for the notifications of migrations 004 and 006 on one dedicated connection. While it is not
 * connected, `live` is false and caches must not serve (they read the store instead); every reconnect
 * resets them, so a notification missed while disconnected can never leave a stale entry.
 */
import { Client } from "pg";
import type { Logger } from "../logger";

export type Channel = "pgrotate_secrets" | "pgrotate_access" | "pgrotate_schedule" | "pgrotate_secret_events";
const CHANNELS: Channel[] = ["pgrotate_secrets", "pgrotate_access", "pgrotate_schedule", "pgrotate_secret_events"];

export class StoreEvents {
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  live = false;
  private readonly handlers = new Map<Channel, Array<(payload: string) => void>>();
  private readonly resets: Array<() => void> = [];

  constructor(private readonly d: { connectionString: string; logger: Logger }) {}

  on(channel: Channel, fn: (payload: string) => void): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), fn]);
  }

  /** Called whenever the listener (re)connects or drops: caches flush everything. */
  onReset(fn: () => void): void {
    this.resets.push(fn);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect().catch(() => this.scheduleReconnect());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.drop();
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.d.connectionString, application_name: "pgrotate-listen", connectionTimeoutMillis: 5000, keepAlive: true });
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (n) => {
      for (const fn of this.handlers.get(n.channel as Channel) ?? []) fn(n.payload ?? "");
    });
    await client.connect();
    for (const channel of CHANNELS) await client.query(`LISTEN ${channel}`);
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reset();
    this.live = true;
  }

  private lost(client: Client): void {
    if (client !== this.client) return;
    this.drop();
    if (!this.stopped) {
      this.d.logger.warn("lost the store notification connection; caches bypassed until it is back");
      this.scheduleReconnect();
    }
  }

  private drop(): void {
    this.live = false;
    this.reset();
    const c = this.client;
    this.client = undefined;
    c?.end().catch(() => undefined);
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (!this.stopped) this.connect().catch(() => this.scheduleReconnect());
    }, 1000);
    this.retry.unref();
  }

  private reset(): void {
    for (const fn of this.resets) fn();
  }
}
