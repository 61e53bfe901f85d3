/**
 * Consumers: pgrotate/pg pools (or any client) that report, by heartbeat, which database users of a folder they
 * are using, so a rotation can see who still uses the user it is about to retire. A consumer that stops reporting
 * is forgotten PGROTATE_CONSUMER_TIMEOUT_SECONDS after its last heartbeat; a graceful leave forgets it at once.
 *
 * Whose clock: the store's. A heartbeat's row is stamped with the store's now() and given its expiry there (now()
 * plus the receiving runner's timeout), and liveness is `expires_at > now()` on the store, so runners whose clocks
 * differ — or a runner started with a test clock — agree on who is live, and `consumersUsing` needs no timeout of
 * its own. The `now` its callers pass (their clock) is therefore not used to judge liveness.
 */
import type { Pool } from "pg";
import type { Principal } from "../auth/principal";
import { AppError, folderLabel } from "../errors";
import type { Logger } from "../logger";
import { type ConsumerRecord, deleteConsumer, insertConsumer, liveConsumers, liveConsumersOf, pruneConsumers, refreshConsumer } from "../store/consumers";
import type { Folder } from "../store/secrets";

export type { ConsumerRecord };

/** One consumer using one username (a consumer using two of the names asked about gives two). */
export interface ConsumerUse {
  instanceId: string;
  appName: string;
  username: string;
  lastSeenAt: Date;
}

/**
 * The live consumers of the folder whose usernames include one of `usernames`: one entry per (consumer, username),
 * ordered by app name, instance and username. `now` is the caller's clock, not used: liveness is judged on the
 * store's clock (see the module's comment).
 */
export async function consumersUsing(
  q: { query: import("pg").Pool["query"] } | import("pg").PoolClient,
  folder: { projectId: string; environment: string; secretPath: string },
  usernames: string[],
  _now: Date,
): Promise<ConsumerUse[]> {
  if (!usernames.length) return [];
  const wanted = new Set(usernames);
  const rows = await liveConsumersOf(q, folder, [...wanted]);
  return rows.flatMap((r) =>
    [...new Set(r.usernames)].filter((u) => wanted.has(u)).sort().map((username) => ({ instanceId: r.instanceId, appName: r.appName, username, lastSeenAt: r.lastSeenAt })),
  );
}

/** PGROTATE_CONSUMER_TIMEOUT_SECONDS unset. */
export const DEFAULT_CONSUMER_TIMEOUT_SECONDS = 90;
/** Live consumers one folder may have (a heartbeat of a new instance beyond it is 429). */
export const MAX_CONSUMERS_PER_FOLDER = 10_000;
/** Rows not seen for this many timeouts (and at least an hour) are deleted. */
const PRUNE_AFTER_TIMEOUTS = 10;
const PRUNE_AFTER_MIN_SECONDS = 3600;
/** A runner prunes at most this often, after a heartbeat. */
const PRUNE_EVERY_MS = 10 * 60_000;

export interface Heartbeat {
  instanceId: string;
  appName: string;
  usernames: string[];
}

export class ConsumerService {
  private lastPrune = 0;
  private readonly maxPerFolder: number;

  constructor(private readonly d: { pool: Pool; logger: Logger; timeoutSeconds: number; maxPerFolder?: number }) {
    this.maxPerFolder = d.maxPerFolder ?? MAX_CONSUMERS_PER_FOLDER;
  }

  get timeoutSeconds(): number {
    return this.d.timeoutSeconds;
  }

  /**
   * Records a heartbeat (committed when this returns): "new" for a consumer that had no live row, "changed" when its
   * app name, usernames or reporter changed, "same" for a repeat. 429 when the folder already has its cap of live
   * consumers and this one is not among them.
   */
  async heartbeat(folder: Folder, h: Heartbeat, by: Principal): Promise<"new" | "changed" | "same"> {
    const report = { ...h, usernames: [...new Set(h.usernames)], reportedBy: by.actor };
    const timeout = this.d.timeoutSeconds;
    const refreshed = await refreshConsumer(this.d.pool, folder, report, timeout);
    if (refreshed) return refreshed;
    if (!(await insertConsumer(this.d.pool, folder, report, timeout, this.maxPerFolder))) {
      throw new AppError(
        "TooManyRequests",
        `${folderLabel(folder)} already has ${this.maxPerFolder} live consumers (the limit per folder); a place frees when one leaves or stops reporting`,
        { retryAfterSeconds: timeout },
      );
    }
    this.pruneNowAndThen();
    return "new";
  }

  /** Forgets a consumer at once (its graceful leave); nothing to forget is not an error. */
  async leave(folder: Folder, instanceId: string): Promise<void> {
    await deleteConsumer(this.d.pool, folder, instanceId);
  }

  /** The folder's live consumers, by app name and instance. */
  list(folder: Folder): Promise<ConsumerRecord[]> {
    return liveConsumers(this.d.pool, folder, this.maxPerFolder);
  }

  /** Deletes rows far past their timeout; returns how many. */
  prune(): Promise<number> {
    return pruneConsumers(this.d.pool, Math.max(PRUNE_AFTER_MIN_SECONDS, PRUNE_AFTER_TIMEOUTS * this.d.timeoutSeconds));
  }

  private pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.prune().then(
      (n) => n && this.d.logger.debug({ pruned: n }, "deleted consumers not seen for long"),
      (err: unknown) => this.d.logger.debug({ err }, "could not prune consumers"),
    );
  }
}
