/**
 * Who still uses each user of a rotation: its sessions on the target (postgres/sessions.ts) and the consumers
 * registered with pgrotate (services/consumers.ts). The retirement hold (decide.ts "hold") reads it for the user
 * about to get a new password; GET …/:id?include=usage for both. Never holds a password.
 */
import type { Pool } from "pg";
import type { PostgresStrategy } from "../postgres/strategy";
import { sessionsOf, type UserSessions } from "../postgres/sessions";
import type { TargetConnection } from "../postgres/target";
import { consumersUsing } from "../services/consumers";
import type { RotationRecord } from "../store/rows";

export interface UserUsage {
  username: string;
  /** The user whose credentials the mapped secrets hold now. */
  active: boolean;
  sessions: UserSessions;
  consumers: Array<{ appName: string; instanceId: string; lastSeenAt: Date }>;
}

/** Reads who uses the rotation's users (`which`: the one about to get a new password, or both). Throws when the target cannot say. */
export async function readUsage(
  d: { pool: Pool; strategy: PostgresStrategy },
  target: TargetConnection,
  r: Pick<RotationRecord, "projectId" | "environment" | "secretPath" | "username1" | "username2" | "activeIndex">,
  now: Date,
  which: { index: 0 | 1 } | "both",
): Promise<UserUsage[]> {
  const indexes = which === "both" ? ([0, 1] as const) : [which.index];
  const usernames = indexes.map((i) => (i === 0 ? r.username1 : r.username2));
  const sessions = await d.strategy.inspect(target, "reading who uses the users (pg_stat_activity)", (c) => sessionsOf(c, usernames));
  const folder = { projectId: r.projectId, environment: r.environment, secretPath: r.secretPath };
  const consumers = await consumersUsing(d.pool, folder, usernames, now);
  return indexes.map((i, k) => ({
    username: usernames[k],
    active: i === r.activeIndex,
    sessions: sessions.get(usernames[k]) ?? { count: 0, hidden: 0, clients: [] },
    consumers: consumers.filter((x) => x.username === usernames[k]).map((x) => ({ appName: x.appName, instanceId: x.instanceId, lastSeenAt: x.lastSeenAt })),
  }));
}

export const inUse = (u: UserUsage): boolean => u.sessions.count > 0 || u.consumers.length > 0;

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/**
 * Who uses a user, in a few words for people (status heldBy, messages, history): sessions by application and
 * address, hidden sessions by count, consumers by app name. At most 512 characters.
 */
export function describeUse(u: UserUsage): string {
  const parts: string[] = [];
  for (const c of u.sessions.clients.filter((x) => x.visible)) {
    const from = c.clientAddr ? ` from ${c.clientAddr}` : "";
    parts.push(`${c.applicationName ? JSON.stringify(c.applicationName) : "an unnamed client"}${from} (${plural(c.count, "session")})`);
  }
  if (u.sessions.hidden) {
    const names = [...new Set(u.sessions.clients.filter((x) => !x.visible && x.applicationName).map((x) => JSON.stringify(x.applicationName)))];
    parts.push(`${plural(u.sessions.hidden, "session")} whose details the connection role cannot see${names.length ? ` (${names.join(", ")})` : ""}`);
  }
  const apps = [...new Set(u.consumers.map((x) => x.appName))];
  if (apps.length) parts.push(`registered ${apps.length === 1 ? "consumer" : "consumers"} ${apps.map((a) => JSON.stringify(a)).join(", ")}`);
  const text = `${parts.join(", ")} on ${JSON.stringify(u.username)}`;
  return text.length > 512 ? `${text.slice(0, 509)}...` : text;
}

/** The details of a RetiringUserInUse refusal: names and counts only. */
export function inUseDetails(u: UserUsage) {
  const byApp = new Map<string, number>();
  for (const c of u.sessions.clients) {
    if (c.applicationName) byApp.set(c.applicationName, (byApp.get(c.applicationName) ?? 0) + c.count);
  }
  return {
    reason: "retiring-user-in-use" as const,
    username: u.username,
    sessions: u.sessions.count,
    hiddenSessions: u.sessions.hidden,
    applications: [...byApp].map(([applicationName, count]) => ({ applicationName, count })),
    consumers: [...new Set(u.consumers.map((x) => x.appName))],
  };
}
