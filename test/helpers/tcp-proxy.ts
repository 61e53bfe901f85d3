/**
 * A TCP proxy in front of a PostgreSQL server, for the network's bad days: a server that answers slowly (every
 * chunk it sends is held back a while, order kept), and a connection that goes silent (nothing is forwarded
 * either way, yet neither side is closed — what a NAT or load balancer that dropped an idle flow looks like).
 */
import net from "node:net";

export interface ProxiedConnection {
  id: number;
  /** The client's first bytes (PostgreSQL's startup packet: user, database, application_name in plain text). */
  startup: Buffer;
  silenced: boolean;
}

export interface TcpProxy {
  host: string;
  port: number;
  /** How long each chunk the server sends is held back, per connection (default: not at all). */
  setServerDelay(delayMs: (conn: ProxiedConnection) => number): void;
  /**
   * Stops forwarding on the open connections `match` picks, without closing them; returns how many. With
   * `andNew`, connections opened later that it picks (once their startup packet is in) go silent too.
   */
  silence(match: (conn: ProxiedConnection) => boolean, opts?: { andNew?: boolean }): number;
  /** Connections open now. */
  open(): ProxiedConnection[];
  close(): Promise<void>;
}

export async function startTcpProxy(upstream: { host: string; port: number }): Promise<TcpProxy> {
  let delayOf: (conn: ProxiedConnection) => number = () => 0;
  const silenceNew: Array<(conn: ProxiedConnection) => boolean> = [];
  let next = 1;
  const live = new Map<ProxiedConnection, { client: net.Socket; server: net.Socket }>();
  const listener = net.createServer((client) => {
    const conn: ProxiedConnection = { id: next++, startup: Buffer.alloc(0), silenced: false };
    const server = net.connect(upstream.port, upstream.host);
    live.set(conn, { client, server });
    let lastAt = 0;
    const end = () => {
      live.delete(conn);
      client.destroy();
      server.destroy();
    };
    client.on("error", end);
    server.on("error", end);
    client.on("close", end);
    server.on("close", end);
    client.on("data", (chunk) => {
      if (!conn.startup.length) {
        conn.startup = Buffer.from(chunk);
        if (silenceNew.some((match) => match(conn))) conn.silenced = true;
      }
      if (!conn.silenced) server.write(chunk);
    });
    server.on("data", (chunk) => {
      if (conn.silenced) return;
      const delay = delayOf(conn);
      if (delay <= 0 && lastAt <= Date.now()) {
        client.write(chunk);
        return;
      }
      // Held back, in order: never before an earlier chunk.
      lastAt = Math.max(Date.now() + delay, lastAt);
      setTimeout(() => {
        if (!conn.silenced && !client.destroyed) client.write(chunk);
      }, lastAt - Date.now());
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as net.AddressInfo;
  return {
    host: "127.0.0.1",
    port,
    setServerDelay: (fn) => void (delayOf = fn),
    silence(match, opts = {}) {
      if (opts.andNew) silenceNew.push(match);
      let n = 0;
      for (const conn of live.keys()) {
        if (!conn.silenced && match(conn)) {
          conn.silenced = true;
          n++;
        }
      }
      return n;
    },
    open: () => [...live.keys()],
    close: async () => {
      for (const { client, server } of live.values()) {
        client.destroy();
        server.destroy();
      }
      live.clear();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
