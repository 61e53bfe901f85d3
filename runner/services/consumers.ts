/**
 * Consumers registered with pgrotate (`pgrotate/pg` pools that report which username they use): the contract the
 * retirement hold reads. Replaced by the consumers registry (migration 019, its heartbeat endpoint).
 */
import type { Pool, PoolClient } from "pg";

export interface ConsumerUse {
  instanceId: string;
  appName: string;
  username: string;
  lastSeenAt: Date;
}

/** The live consumers of a folder's secrets that use one of `usernames` (replaced by the consumers registry). */
export async function consumersUsing(
  q: { query: Pool["query"] } | PoolClient,
  folder: { projectId: string; environment: string; secretPath: string },
  usernames: string[],
  now: Date,
): Promise<ConsumerUse[]> {
  void q;
  void folder;
  void usernames;
  void now;
  return [];
}
