/** Follows a runner's change feed with the shared client (provider/client.ts) and keeps what arrived. */
import { type FeedEvent, type Folder, RunnerClient } from "../../provider/client";

export interface Follower {
  events: FeedEvent[];
  /** The secret.changed messages' data. */
  changes(): Array<{ id: string; rotationId: string | null; secretKeys: string[]; occurredAt: string; projectId: string; environment: string; secretPath: string }>;
  lastEventId(): string | undefined;
  error(): unknown;
  ended(): boolean;
  /** Waits until `ok(events)` (default 5 s); throws naming what arrived when it does not happen. */
  until(ok: (events: FeedEvent[]) => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export function follow(url: string, token: string, folder: Folder, opts: { lastEventId?: string; idleTimeoutMs?: number } = {}): Follower {
  const client = new RunnerClient({ url, token, timeoutMs: 5000 });
  return followStream((signal) => client.secretEvents(folder, { signal, lastEventId: opts.lastEventId, idleTimeoutMs: opts.idleTimeoutMs }));
}

/** Follows a runner's rotation-status stream (GET /api/v1/events/rotations), narrowed by `folder`. */
export function followRotations(url: string, token: string, folder: Folder = {}): Follower {
  const client = new RunnerClient({ url, token, timeoutMs: 5000 });
  return followStream((signal) => client.rotationEvents(folder, { signal }));
}

function followStream(open: (signal: AbortSignal) => AsyncGenerator<FeedEvent>): Follower {
  const abort = new AbortController();
  const events: FeedEvent[] = [];
  let error: unknown;
  let ended = false;
  const done = (async () => {
    try {
      for await (const e of open(abort.signal)) events.push(e);
    } catch (e) {
      error = e;
    } finally {
      ended = true;
    }
  })();
  const f: Follower = {
    events,
    changes: () => events.filter((e) => e.event === "secret.changed").map((e) => e.data as ReturnType<Follower["changes"]>[number]),
    lastEventId: () => events.at(-1)?.lastEventId,
    error: () => error,
    ended: () => ended,
    async until(ok, ms = 5000) {
      const end = Date.now() + ms;
      while (!ok(events)) {
        if (Date.now() > end || ended) {
          throw new Error(`feed condition not met (${ended ? `ended: ${String(error)}` : "timeout"}); got ${JSON.stringify(events.map((e) => e.event))}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      abort.abort();
      await done;
    },
  };
  return f;
}
