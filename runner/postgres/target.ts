import net from "node:net";
import { Client, type ClientConfig } from "pg";
import { aad, type Sealer } from "../crypto/seal";
import { AppError } from "../errors";
import type { Scrubber } from "../logger";
import type { ConnectionRecord } from "../store/rows";

import { INSUFFICIENT_PRIVILEGE, INVALID_CATALOG_NAME, isLoginRefused, sqlState } from "../sqlstate";

/** How to reach a target database as its connection role (plaintext password only in memory). */
export interface TargetConnection {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslEnabled: boolean;
  sslRejectUnauthorized: boolean;
  sslCertificate: string | null;
}

/** A stored connection as a target: its password opened in memory only (and remembered by the scrubber). */
export function openTarget(conn: ConnectionRecord, sealer: Sealer, scrubber: Scrubber): TargetConnection {
  const password = sealer.open(conn.passwordSealed, aad.connectionPassword(conn.id));
  scrubber.remember(password);
  return { ...conn, password };
}

export const CONNECT_TIMEOUT_MS = 10000;
/**
 * The application_name of every session the runner opens on a target (as the connection role, and the logins that
 * prove a password): who-uses-this-user (sessions.ts) leaves these out. Visible to every role in pg_stat_activity.
 * With a space, so that no application's fallback name (`pgrotate/pg` takes npm's package name or the host name;
 * neither can contain one) is ever taken for the runner's and left out of the in-use check.
 */
export const PGROTATE_APPLICATION_NAME = "pgrotate runner";
export const STATEMENT_TIMEOUT_MS = 30000;

/** pg client settings for the target, as the connection role or as another user. TLS never falls back. */
export function clientConfig(t: TargetConnection, as?: { user: string; password: string }): ClientConfig {
  return {
    host: t.host,
    port: t.port,
    database: t.database,
    user: as?.user ?? t.username,
    password: as?.password ?? t.password,
    ssl: t.sslEnabled
      ? {
          rejectUnauthorized: t.sslRejectUnauthorized,
          ca: t.sslCertificate ?? undefined,
          servername: net.isIP(t.host) ? undefined : t.host,
        }
      : false,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: STATEMENT_TIMEOUT_MS + 5000,
    application_name: PGROTATE_APPLICATION_NAME,
  };
}

/** Maps a failure to reach or log in to the target onto the error vocabulary, naming where and who. */
export function targetError(err: unknown, t: TargetConnection, user: string, doing: string): AppError {
  if (err instanceof AppError) return err;
  const where = `${t.host}:${t.port}/${t.database}`;
  const code = sqlState(err);
  const raw = err instanceof Error ? err.message : String(err);
  if (isLoginRefused(code)) {
    return new AppError("PrecheckFailed", `The target ${where} rejected the login of ${JSON.stringify(user)} while ${doing} (${code})`, {
      cause: err,
    });
  }
  if (code === INVALID_CATALOG_NAME) {
    return new AppError("PrecheckFailed", `The database ${JSON.stringify(t.database)} does not exist on ${t.host}:${t.port}`, { cause: err });
  }
  if (code === INSUFFICIENT_PRIVILEGE) {
    return new AppError("PrecheckFailed", `The target ${where} refused ${doing}: ${raw}`, { cause: err });
  }
  if (/SSL|certificate|self[- ]signed|TLS/i.test(raw)) {
    return new AppError("PrecheckFailed", `TLS to ${where} failed while ${doing}: ${raw}`, { cause: err });
  }
  return new AppError("TargetUnavailable", `Could not reach the target ${where} while ${doing}: ${code ?? raw}`, { cause: err });
}

/** Opens a client as the connection role, runs fn, always closes it (behind the answer, as tryLogin does). */
export async function withTarget<T>(t: TargetConnection, doing: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client(clientConfig(t));
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw targetError(err, t, t.username, doing);
  }
  try {
    return await fn(client);
  } catch (err) {
    throw targetError(err, t, t.username, doing);
  } finally {
    client.end().catch(() => undefined);
  }
}

/**
 * The identity of the server a client is connected to, the same whichever host name, address or proxy reaches
 * it: the cluster's system identifier (shared by its physical replicas, which share its roles too). Where a
 * hosted service hides pg_control_system(), the server's own address and port stand in.
 */
export async function serverIdentity(c: Pick<Client, "query">, t: Pick<TargetConnection, "host" | "port">): Promise<string> {
  try {
    const { rows } = await c.query<{ id: string }>("SELECT system_identifier::text AS id FROM pg_control_system()");
    if (rows[0]?.id) return `sysid:${rows[0].id}`;
  } catch {
    // not allowed here (hosted services may revoke it): fall through to the address
  }
  const { rows } = await c.query<{ addr: string | null; port: number | null }>("SELECT host(inet_server_addr()) AS addr, inet_server_port() AS port");
  const r = rows[0];
  return r?.addr ? `addr:${r.addr}:${r.port}` : `host:${t.host.toLowerCase()}:${t.port}`;
}

/**
 * Tries a login as `user` and runs SELECT 1. Returns "ok", or "rejected" when the server refused the
 * password; anything else (server down, TLS) throws. The answer is known when SELECT 1 returns: the connection is
 * closed behind it (a close waits for the server process to end, ≈ 0.9 ms here), never left open.
 */
export async function tryLogin(t: TargetConnection, user: string, password: string): Promise<"ok" | "rejected"> {
  const client = new Client(clientConfig(t, { user, password }));
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return "ok";
  } catch (err) {
    const code = sqlState(err);
    if (isLoginRefused(code)) return "rejected";
    throw targetError(err, t, user, "verifying a login");
  } finally {
    client.end().catch(() => undefined);
  }
}
