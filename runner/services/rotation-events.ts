/**
 * The rotation-status stream's fan-out on one runner (GET /api/v1/events/rotations). Every runner LISTENs to the
 * store's `pgrotate_rotations` notifications (migration 020: a rotation created, changed or deleted, on whichever
 * runner) and hands each to the streams whose principal's scope and filter take its folder. Nothing is kept and
 * nothing is replayed: a stream gets `ready` once attached and its client re-reads what it shows then.
 *
 * Notifications are lost while the store listener is down: then every stream is closed (its client falls back to
 * reading by itself) and new ones are refused (503) until the listener is back, so an open stream is never one
 * that silently misses changes.
 */
import type { Logger } from "../logger";
import { covers, type Folder, type Scope } from "../auth/principal";
import type { StoreEvents } from "../store/events";
import { AppError } from "../errors";
import { DEFAULT_HEARTBEAT_MS, type FeedStream, type StreamHub } from "./secret-events";

/** What a rotation stream follows: its principal's scope, narrowed by the request's filters (exact, like the list's). */
export interface RotationFollows {
  scope: Scope;
  projectId?: string;
  environment?: string;
  secretPath?: string;
}

/** The data of a `rotation.changed` event (never a credential); `rotation.deleted` carries the rotationId alone. */
export interface RotationStatusChanged {
  rotationId: string;
  rotationStatus: string;
  updatedAt: string;
}

/** One store notification (migration 020). */
interface RotationNotice extends Folder {
  op: "insert" | "update" | "delete";
  id: string;
  status: string;
  updatedAt: string;
}

function parseNotice(payload: string): RotationNotice | undefined {
  try {
    const n = JSON.parse(payload) as Partial<RotationNotice>;
    const text = (v: unknown): v is string => typeof v === "string";
    if (!text(n.op) || !text(n.id) || !text(n.projectId) || !text(n.environment) || !text(n.secretPath) || !text(n.status) || !text(n.updatedAt)) return undefined;
    return n as RotationNotice;
  } catch {
    return undefined;
  }
}

/** Whether a stream takes a rotation of this folder: its principal may see it, and its filters take it. */
export function takes(f: RotationFollows, folder: Folder): boolean {
  return (
    covers(f.scope, folder) &&
    (f.projectId === undefined || f.projectId === folder.projectId) &&
    (f.environment === undefined || f.environment === folder.environment) &&
    (f.secretPath === undefined || f.secretPath === folder.secretPath)
  );
}

export class RotationEventHub implements StreamHub<RotationFollows> {
  private readonly streams = new Set<FeedStream<RotationFollows>>();
  private heartbeat?: NodeJS.Timeout;
  private stopped = false;
  readonly heartbeatMs: number;

  constructor(private readonly d: { events: Pick<StoreEvents, "on" | "onReset" | "live">; logger: Logger; heartbeatMs?: number }) {
    this.heartbeatMs = d.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    d.events.on("pgrotate_rotations", (payload) => this.deliver(payload));
    // The listener dropped (or came back after a drop): what was notified meanwhile is lost to the open streams.
    d.events.onReset(() => this.closeAll());
  }

  start(): void {
    this.heartbeat = setInterval(() => {
      for (const s of [...this.streams]) s.heartbeat(undefined);
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  count(of: { owner?: string; holder?: string } = {}): number {
    const counts = (s: FeedStream<RotationFollows>) => (of.owner === undefined || s.owner === of.owner) && (of.holder === undefined || s.holder === of.holder);
    let n = 0;
    for (const s of this.streams) if (counts(s)) n++; // attach() registers a stream at once: none is pending
    return n;
  }

  /** Opens the stream and sends `ready` (re-read now); refused while the store listener is down. */
  attach(stream: FeedStream<RotationFollows>): Promise<void> {
    if (!this.d.events.live) {
      return Promise.reject(new AppError("StoreUnavailable", "The runner is not receiving the store's notifications just now; read the rotations instead and retry the stream shortly"));
    }
    if (this.stopped) stream.close();
    if (stream.closed) return Promise.resolve();
    stream.open();
    stream.send({ event: "ready", data: { type: "ready" } });
    this.streams.add(stream);
    return Promise.resolve();
  }

  detach(stream: FeedStream<RotationFollows>): void {
    this.streams.delete(stream);
  }

  /** Closes every stream at once (runner stop). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.closeAll();
  }

  private closeAll(): void {
    for (const s of [...this.streams]) {
      this.streams.delete(s);
      s.close();
    }
  }

  private deliver(payload: string): void {
    if (!this.streams.size) return;
    const n = parseNotice(payload);
    if (!n) {
      this.d.logger.warn("ignored a rotation notification that is not one of this runner's");
      return;
    }
    const message =
      n.op === "delete"
        ? { event: "rotation.deleted" as const, data: { rotationId: n.id } }
        : { event: "rotation.changed" as const, data: { rotationId: n.id, rotationStatus: n.status, updatedAt: n.updatedAt } satisfies RotationStatusChanged };
    for (const s of [...this.streams]) if (takes(s.follows, n)) s.send(message);
  }
}
