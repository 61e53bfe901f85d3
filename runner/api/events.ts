/**
 * GET /api/v1/events/secrets?workspaceId=&environment=&secretPath= — the change feed as Server-Sent Events,
 * authorized exactly like a raw secret read of that folder. Sends `secret.changed` (rotation id, secret names,
 * time; never a value), `ready` once attached, `reset` when the client must re-read, and heartbeats. Resumes
 * from `Last-Event-ID` (header, or `lastEventId` in the query for clients that cannot set headers).
 *
 * A client that does not read is dropped once this much is waiting for it, never buffered without bound; open
 * streams are capped per runner for each token, for each identity (all the access tokens its logins got) and
 * for the runner as a whole (429 with Retry-After beyond); a revoked or expired token's streams end at the next
 * heartbeat; runner stop closes them all at once.
 */
import { createHash } from "node:crypto";
import { Router, type Request, type Response } from "express";
import type { AccessService } from "../auth/access";
import type { ConsoleSessions } from "../auth/sessions";
import { authorize, type Principal } from "../auth/principal";
import { AppError } from "../errors";
import type { FeedMessage, FeedStream, Follows, SecretEventHub, StreamHub } from "../services/secret-events";
import { API_HEADERS } from "./headers";
import { bearerHash, principalOf, route } from "./http";
import { folderOf } from "./secrets";
import { readSessionCookie } from "./session-cookie";

export interface FeedLimits {
  /** Open streams per token on this runner (default 10). */
  maxStreamsPerToken?: number;
  /**
   * Open streams per principal on this runner, whatever token it uses (default 100): a machine identity's
   * access tokens together (each login gets a fresh token), a scoped token, the admin.
   */
  maxStreamsPerIdentity?: number;
  /** Open streams on this runner, of every principal together (default 1,000). */
  maxStreams?: number;
  /** Bytes waiting for a client before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
}

export const DEFAULT_STREAMS_PER_TOKEN = 10;
/** An identity is usually shared by an app's replicas, each following the feed (one stream per pgrotate/pg pool). */
export const DEFAULT_STREAMS_PER_IDENTITY = 100;
export const DEFAULT_MAX_STREAMS = 1000;
export const DEFAULT_MAX_BUFFERED_BYTES = 1 << 20;

/** A field value on one line: SSE ends a field at CR or LF. */
export const oneLine = (s: string): string => s.replace(/[\r\n]/g, "");

/** How a stream writes the hub's messages and heartbeats as SSE text. */
export interface Framing {
  message(m: FeedMessage): string;
  heartbeat(cursor: string | undefined): string;
}

/** The change feed's own frames (and the rotation stream's): the hub's messages as they are, heartbeats as `: ping` comments. */
export const changeFeedFraming: Framing = {
  message: (m) => `${m.id === undefined ? "" : `id: ${oneLine(m.id)}\n`}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`,
  heartbeat: (cursor) => `${cursor === undefined ? "" : `id: ${oneLine(cursor)}\n`}: ping\n\n`,
};

class SseStream<F> implements FeedStream<F> {
  closed = false;

  constructor(
    readonly follows: F,
    readonly owner: string,
    readonly holder: string,
    private readonly framing: Framing,
    private readonly res: Response,
    private readonly maxBuffered: number,
    private readonly stillValid: () => Promise<boolean>,
    private readonly onClose: () => void,
  ) {
    res.on("close", () => this.finish());
  }

  open(): void {
    const headers = Object.fromEntries(API_HEADERS);
    this.res.writeHead(200, {
      ...headers,
      // no-transform: a compressing proxy or middleware must pass events through as they come.
      "Cache-Control": "no-store, no-transform",
      "Content-Type": "text/event-stream; charset=utf-8",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    this.res.socket?.setTimeout(0);
    this.write("retry: 2000\n\n");
  }

  send(m: FeedMessage): void {
    this.write(this.framing.message(m));
  }

  heartbeat(cursor: string | undefined): void {
    this.write(this.framing.heartbeat(cursor));
    this.stillValid().then(
      (ok) => ok || this.close(),
      () => undefined, // the store is down: keep the stream, check again at the next beat
    );
  }

  close(): void {
    if (this.closed) return;
    this.res.end();
    this.finish();
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.res.writableLength > this.maxBuffered) {
      // The client does not read: drop it rather than buffer for it forever. It resumes with Last-Event-ID.
      this.res.destroy();
      this.finish();
      return;
    }
    this.res.write(chunk);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
}

export interface FeedAuth {
  access: AccessService;
  sessions?: ConsoleSessions;
}

/** What the caps count: the open streams of every hub of the runner (default: the opener's own hub alone). */
export type StreamCounter = Pick<StreamHub<unknown>, "count">;

/**
 * Opens one stream of the hub for an authorized request: the caps (this stream counts in them whatever route
 * opened it, and so do the streams of the hubs in `countedWith`), the token re-check at every heartbeat, resuming
 * from `lastEventId`. The route has authorized `follows` for the principal before; the stream ends with the response.
 */
export function streamOpener<F>(hub: StreamHub<F>, auth: FeedAuth, limits: FeedLimits = {}, countedWith: StreamCounter[] = [hub]) {
  const checkCaps = streamCaps(hub.heartbeatMs, countedWith, limits);
  return async (req: Request, res: Response, follows: F, framing: Framing, lastEventId: string | undefined): Promise<void> => {
    const principal = principalOf(res);
    const hash = bearerHash(req);
    const sid = hash ? undefined : readSessionCookie(req);
    // A console session counts as a token of its own (by a digest of its id): the admin's sessions do not share one cap.
    const owner = hash ? hash.toString("hex") : sid ? `session:${createHash("sha256").update(sid).digest("hex")}` : principal.actor;
    const holder = principal.actor;
    checkCaps(owner, holder, principal.kind); // nothing awaited between this check and attach(): no race past a cap
    // Re-checked at every heartbeat: a revoked token, an expired identity token or an ended console session ends the stream.
    const stillValid = async () =>
      hash ? !!(await auth.access.resolve(hash)) : sid && auth.sessions ? !!(await auth.sessions.resolve(sid, { touch: false })) : true;
    const stream: SseStream<F> = new SseStream(follows, owner, holder, framing, res, limits.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, stillValid, () => hub.detach(stream));
    await hub.attach(stream, lastEventId);
  };
}

/** Mounted at /api/v1/events (behind authentication: a bearer token, or the console's session cookie). */
export function eventRoutes(hub: SecretEventHub, auth: FeedAuth, limits: FeedLimits = {}, countedWith: StreamCounter[] = [hub]): Router {
  const r = Router();
  const open = streamOpener<Follows>(hub, auth, limits, countedWith);
  r.get("/secrets", route(async (req: Request, res: Response) => {
    const folder = folderOf(req.query);
    authorize(principalOf(res), "read", folder);
    const header = req.headers["last-event-id"];
    const lastEventId = typeof header === "string" ? header : typeof req.query.lastEventId === "string" ? req.query.lastEventId : undefined;
    await open(req, res, { folder }, changeFeedFraming, lastEventId);
  }));
  return r;
}

/**
 * The open-stream caps of one runner, checked before a stream is attached. Beyond one: 429 naming the cap, with
 * Retry-After of one heartbeat (a place frees when a client closes a stream, and a revoked or expired token's
 * streams end at the next heartbeat).
 */
function streamCaps(heartbeatMs: number, hubs: StreamCounter[], limits: FeedLimits) {
  const perToken = limits.maxStreamsPerToken ?? DEFAULT_STREAMS_PER_TOKEN;
  const perIdentity = limits.maxStreamsPerIdentity ?? DEFAULT_STREAMS_PER_IDENTITY;
  const all = limits.maxStreams ?? DEFAULT_MAX_STREAMS;
  const refuse = (message: string) => new AppError("TooManyRequests", message, { retryAfterSeconds: heartbeatMs / 1000 });
  const count = (of?: { owner?: string; holder?: string }) => hubs.reduce((n, h) => n + h.count(of), 0);
  return (owner: string, holder: string, kind: Principal["kind"]): void => {
    if (count({ owner }) >= perToken) {
      throw refuse(`This token already has ${perToken} open event streams (change feed, project events, rotation status) on this runner (the limit per token); close one first`);
    }
    if (count({ holder }) >= perIdentity) {
      throw refuse(`${HOLDER[kind]} already has ${perIdentity} open event streams (change feed, project events, rotation status) on this runner, whatever token it used (the limit per identity); close one first`);
    }
    if (count() >= all) {
      throw refuse(`This runner already has ${all} open event streams (change feed, project events, rotation status): the limit per runner; retry later or on another runner`);
    }
  };
}

const HOLDER: Record<Principal["kind"], string> = { identity: "This machine identity", token: "This token", admin: "The admin" };
