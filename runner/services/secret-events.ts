/**
 * The change feed's fan-out on one runner. Every runner LISTENs to the store's `pgrotate_secret_events`
 * wake-ups (migration 006), reads what committed since its cursor (store/secret-events.ts) and hands each
 * event to the streams of its folder. All store reads and registrations run one at a time in one lane, which
 * is what makes resuming lossless:
 *
 * - the hub's cursor S_h only moves forward; a stream that resumes from C reads "since C" itself (getting
 *   the new cursor S_r ⊇ S_h) and is registered in the same lane step, so the hub's next read "since S_h"
 *   covers everything after S_r too; the overlap (seen by S_r, not by S_h) is filtered once by event id;
 * - within a batch only a stream's last event carries the batch's cursor as its SSE id, so a client that
 *   drops mid-batch resumes from the previous cursor and gets the rest again (at least once, never lost);
 * - a cursor older than what was pruned, malformed, or with too much to replay gets `reset`: re-read.
 *
 * While no stream is open the hub reads nothing; the first stream takes the cursor of that moment.
 */
import type { Pool } from "pg";
import type { Logger } from "../logger";
import type { SecretChangedEvent } from "../responses";
import { isDataException, sqlState } from "../sqlstate";
import type { StoreEvents } from "../store/events";
import { COMMIT_MARGIN_MS, currentCursor, type EventCursor, eventsSince, formatCursor, parseCursor, pruneEvents, type SecretEventRecord } from "../store/secret-events";
import type { Folder } from "../store/secrets";
import { folderKey } from "./secret-cache";

/** One SSE message. `id` (a cursor) is set on the messages a client may resume after. */
export interface FeedMessage {
  event: "secret.changed" | "rotation.changed" | "rotation.deleted" | "reset" | "ready";
  id?: string;
  data: Record<string, unknown>;
}

/**
 * What a stream follows: one folder (the change feed), or the folders of one project that `accepts` takes
 * (project events: a folder and everything under it, or a glob — filtered by what the principal may read).
 */
export type Follows = { folder: Folder } | { projectId: string; accepts: (f: Folder) => boolean };

/** What the route hands a hub: a place to write messages to, for what it follows. */
export interface FeedStream<F = Follows> {
  readonly follows: F;
  /** Who holds it (a token), for the per-token limit. */
  readonly owner: string;
  /** The principal behind that token (`identity:<id>` for every access token of a machine identity), for the per-identity limit. */
  readonly holder: string;
  /** Opens the response (status and headers); called once, in the lane, just before the first message. */
  open(): void;
  send(m: FeedMessage): void;
  /**
   * A comment that keeps proxies from closing an idle stream, with the hub's cursor as id (an SSE message
   * without data moves the client's Last-Event-ID and dispatches nothing), so a quiet stream's resume point
   * stays young. Also the moment to re-check the token.
   */
  heartbeat(cursor: string | undefined): void;
  close(): void;
  readonly closed: boolean;
}

export interface FeedOptions {
  /** Heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** How long events are kept for resuming (default 1 h, at least 10 min) and how many at most (default 100,000). */
  retentionSeconds?: number;
  retentionRows?: number;
  /** How often this runner prunes (default 60 s). */
  pruneEveryMs?: number;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * What the routes' stream opener (api/events.ts) needs of a hub: its heartbeat (a cap's Retry-After), its open
 * streams (the caps count those of every hub), and attaching and detaching one stream.
 */
export interface StreamHub<F> {
  readonly heartbeatMs: number;
  count(of?: { owner?: string; holder?: string }): number;
  attach(stream: FeedStream<F>, lastEventId?: string): Promise<void>;
  detach(stream: FeedStream<F>): void;
}
/** More events than this to replay to one stream: reset instead. */
const MAX_REPLAY = 10_000;
/** More events than this in one hub read (a flood between two wake-ups): reset every stream. */
const MAX_BATCH = 50_000;

interface Attached {
  stream: FeedStream;
  /** Event ids a resume already sent that the hub's next read may include again. */
  replayed?: Set<string>;
}

export function eventMessage(e: SecretEventRecord): SecretChangedEvent {
  return {
    id: e.id,
    type: "secret.changed",
    rotationId: e.rotationId,
    secretKeys: e.keys,
    projectId: e.projectId,
    environment: e.environment,
    secretPath: e.secretPath,
    occurredAt: e.at.toISOString(),
  };
}

export class SecretEventHub implements StreamHub<Follows> {
  private cursor?: EventCursor;
  private readonly byFolder = new Map<string, Set<Attached>>();
  /** Streams that follow more than one folder, by project: each event of the project is offered to their filter. */
  private readonly byProject = new Map<string, Set<Attached>>();
  private readonly attached = new Map<FeedStream, Attached>();
  /** Streams waiting in the lane to be attached (counted for limits). */
  private readonly pending = new Set<FeedStream>();
  private lane: Promise<void> = Promise.resolve();
  private fetchQueued = false;
  private heartbeat?: NodeJS.Timeout;
  private pruner?: NodeJS.Timeout;
  private stopped = false;
  readonly heartbeatMs: number;

  constructor(private readonly d: { pool: Pool; events: StoreEvents; logger: Logger; options?: FeedOptions }) {
    this.heartbeatMs = d.options?.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    d.events.on("pgrotate_secret_events", () => this.kick());
    // The LISTEN connection came back (or dropped): read what committed meanwhile (the cursor did not move).
    d.events.onReset(() => this.kick());
  }

  start(): void {
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
    const prune = () => {
      pruneEvents(this.d.pool, this.d.options?.retentionSeconds ?? 3600, this.d.options?.retentionRows ?? 100_000).then(
        (n) => n && this.d.logger.debug({ pruned: n }, "pruned old change-feed events"),
        (err: unknown) => this.d.logger.debug({ err }, "could not prune change-feed events; will retry"),
      );
    };
    this.pruner = setInterval(prune, this.d.options?.pruneEveryMs ?? 60_000);
    this.pruner.unref();
  }

  /** Open (or opening) streams of this runner: all of them, or those of one owner (token) or holder (principal). */
  count(of: { owner?: string; holder?: string } = {}): number {
    const counts = (s: FeedStream) => (of.owner === undefined || s.owner === of.owner) && (of.holder === undefined || s.holder === of.holder);
    let n = 0;
    for (const s of this.attached.keys()) if (counts(s)) n++;
    // A stream is still pending for a moment after it was attached: count it once.
    for (const s of this.pending) if (!this.attached.has(s) && counts(s)) n++;
    return n;
  }

  /**
   * Registers a stream, first replaying what committed after `lastEventId` (a cursor this or another runner
   * sent). Rejects (nothing opened) when the store cannot be read; the route answers that as an error.
   */
  attach(stream: FeedStream, lastEventId?: string): Promise<void> {
    this.pending.add(stream);
    const op = this.inLane(async () => {
      if (stream.closed || this.stopped) return;
      if (!this.attached.size || !this.cursor) this.cursor = await currentCursor(this.d.pool);
      const from = lastEventId === undefined ? undefined : parseCursor(lastEventId);
      const entry: Attached = { stream };
      let ready: FeedMessage = { event: "ready", id: formatCursor(this.cursor), data: { type: "ready", replayed: 0 } };
      let replay: SecretEventRecord[] = [];
      if (lastEventId !== undefined) {
        const outcome = from ? await this.replay(from, stream.follows) : { reset: "the Last-Event-ID is not a cursor of this feed" };
        if ("reset" in outcome) {
          ready = { event: "reset", id: formatCursor(this.cursor), data: { type: "reset", reason: outcome.reset } };
        } else {
          replay = outcome.events;
          entry.replayed = new Set(replay.map((e) => e.id));
          ready = { event: "ready", id: formatCursor(outcome.cursor), data: { type: "ready", replayed: replay.length } };
        }
      }
      if (stream.closed) return;
      stream.open();
      for (const e of replay) stream.send({ event: "secret.changed", data: eventMessage(e) });
      stream.send(ready);
      this.attached.set(stream, entry);
      const [index, key] = this.indexOf(stream.follows);
      let set = index.get(key);
      if (!set) index.set(key, (set = new Set()));
      set.add(entry);
    });
    return op.finally(() => this.pending.delete(stream));
  }

  detach(stream: FeedStream): void {
    const entry = this.attached.get(stream);
    if (!entry) return;
    this.attached.delete(stream);
    const [index, key] = this.indexOf(stream.follows);
    const set = index.get(key);
    set?.delete(entry);
    if (set && !set.size) index.delete(key);
  }

  private indexOf(f: Follows): [Map<string, Set<Attached>>, string] {
    return "folder" in f ? [this.byFolder, folderKey(f.folder)] : [this.byProject, f.projectId];
  }

  /** Closes every stream at once (runner stop). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearInterval(this.pruner);
    for (const s of [...this.attached.keys()]) {
      this.detach(s);
      s.close();
    }
  }

  private async replay(from: EventCursor, follows: Follows): Promise<{ events: SecretEventRecord[]; cursor: EventCursor } | { reset: string }> {
    try {
      const scope = "folder" in follows ? { folder: follows.folder } : { projectId: follows.projectId };
      const batch = await eventsSince(this.d.pool, from, { ...scope, limit: MAX_REPLAY });
      if (from.atMs < batch.prunedThroughMs + COMMIT_MARGIN_MS) return { reset: "the Last-Event-ID is older than the events this store keeps" };
      if (batch.truncated) return { reset: `more than ${MAX_REPLAY} changes since the Last-Event-ID` };
      const events = "accepts" in follows ? batch.events.filter((e) => follows.accepts(e)) : batch.events;
      return { events, cursor: batch.cursor };
    } catch (err) {
      if (isDataException(sqlState(err))) return { reset: "the Last-Event-ID is not a cursor of this feed" };
      throw err;
    }
  }

  /** Something committed (or may have): read it, once, after whatever the lane is doing. */
  private kick(): void {
    if (this.fetchQueued || !this.attached.size || this.stopped) return;
    this.fetchQueued = true;
    void this.inLane(async () => {
      this.fetchQueued = false;
      if (!this.attached.size || !this.cursor) return;
      await this.fetch(this.cursor);
    }).catch((err: unknown) => {
      this.d.logger.warn({ err }, "could not read change-feed events; will retry at the next wake-up or heartbeat");
    });
  }

  private async fetch(from: EventCursor): Promise<void> {
    const batch = await eventsSince(this.d.pool, from, { limit: MAX_BATCH });
    const lost = from.atMs < batch.prunedThroughMs + COMMIT_MARGIN_MS;
    this.cursor = batch.cursor;
    const id = formatCursor(batch.cursor);
    if (lost || batch.truncated) {
      // This runner fell too far behind (store unreachable for long, or a flood): every stream must re-read.
      const reason = lost ? "this runner could not read the store for longer than events are kept" : `more than ${MAX_BATCH} changes at once`;
      for (const a of this.attached.values()) a.stream.send({ event: "reset", id, data: { type: "reset", reason } });
      return;
    }
    const perStream = new Map<Attached, SecretEventRecord[]>();
    for (const e of batch.events) {
      for (const a of this.followersOf(e)) {
        if (a.replayed?.has(e.id)) continue;
        let list = perStream.get(a);
        if (!list) perStream.set(a, (list = []));
        list.push(e);
      }
    }
    for (const a of this.attached.values()) a.replayed = undefined; // the overlap with a resume is past
    for (const [a, list] of perStream) {
      list.forEach((e, i) => a.stream.send({ event: "secret.changed", id: i === list.length - 1 ? id : undefined, data: eventMessage(e) }));
    }
  }

  /** The streams an event goes to: those of its folder, and those of its project whose filter takes it. */
  private *followersOf(e: SecretEventRecord): Iterable<Attached> {
    yield* this.byFolder.get(folderKey(e)) ?? [];
    for (const a of this.byProject.get(e.projectId) ?? []) if ("accepts" in a.stream.follows && a.stream.follows.accepts(e)) yield a;
  }

  private beat(): void {
    const id = this.cursor && formatCursor(this.cursor);
    for (const s of [...this.attached.keys()]) s.heartbeat(id);
    // A safety net under LISTEN: read at every heartbeat too (one indexed query while streams are open).
    this.kick();
  }

  private inLane(fn: () => Promise<void>): Promise<void> {
    const run = this.lane.then(fn);
    this.lane = run.catch(() => undefined);
    return run;
  }
}
