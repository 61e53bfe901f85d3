/**
 * The scheduler. A pass (1) rolls forward intents whose runner died (a lease that ran out) and (2) drains every
 * due rotation with bounded concurrency: it claims only as many as it has idle workers (row locks + SKIP LOCKED +
 * a lease each, store/leased.ts), so no claimed rotation waits in its hands while its lease runs out, runners
 * sharing a store split the work, and each rotation runs exactly once.
 *
 * A pass runs when the earliest due rotation becomes due: after each pass the scheduler reads that time and
 * sets a timer for it, and every change of a rotation's next time on any runner (the store's
 * pgrotate_schedule notification) moves the timer earlier when it must. A node-cron tick every
 * PGROTATE_TICK_SECONDS stays as the safety net (expired leases, a missed notification). The clock is
 * injectable: tests call tick() with a fake clock.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Pool } from "pg";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import type { StoreEvents } from "../store/events";
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { claimDriftChecks, claimDue, nextDueAt } from "../store/leased";
import type { RotationEngine } from "./engine";

export interface SchedulerDeps {
  pool: Pool;
  engine: RotationEngine;
  logger: Logger;
  clock: () => Date;
  runnerId: string;
  tickSeconds: number;
  concurrency: number;
  /** The store's notifications: a rotation's next time changed somewhere (re-arms the wake timer). */
  events?: StoreEvents;
  /** Observed lag of a tick behind its planned time, in seconds (metrics). */
  onTick?: (info: { lagSeconds: number; claimed: number; durationMs: number }) => void;
}

/** A wake timer is set at most this far ahead (then the next time is read again). */
const MAX_WAKE_MS = 60 * 60 * 1000;
/** After a pass that found nothing to claim, a due rotation (another runner's) is looked at again after this. */
const WAKE_RETRY_MS = 100;

export interface TickResult {
  recovered: number;
  claimed: number;
}

export class Scheduler {
  private task?: ScheduledTask;
  private draining?: Promise<TickResult>;
  private plannedAt = 0;
  private stopped = true;
  /** Set by stop(): workers finish the rotation in hand and claim no more. */
  private halted = false;
  /** The wake timer and the instant (unix ms) it is set for; Infinity when none is set. */
  private wake?: NodeJS.Timeout;
  private wakeAt = Infinity;
  /** The last pass claimed nothing: a due row it saw is another runner's right now (no hot loop on it). */
  private idle = false;
  /** The instant the last claim looked for due rotations (a row due after it was not seen by it). */
  private lastClaimAt = 0;

  constructor(private readonly d: SchedulerDeps) {
    d.events?.on("pgrotate_schedule", (payload) => this.scheduled(Number(payload)));
    d.events?.onReset(() => void this.arm());
  }

  running(): boolean {
    return !this.stopped;
  }

  /** Starts ticking (every second node-cron checks whether a tick is due). */
  start(): void {
    if (this.task) return; // already running
    this.stopped = false;
    this.halted = false;
    this.plannedAt = Date.now();
    this.task = cron.schedule("* * * * * *", () => this.onCron(), { name: `pgrotate-${this.d.runnerId}`, noOverlap: false });
    void this.onCron();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    this.disarm();
    await this.task?.destroy();
    this.task = undefined;
    await this.draining?.catch(() => undefined);
  }

  private async onCron(): Promise<void> {
    const now = Date.now();
    if (this.stopped || now + 50 < this.plannedAt || this.draining) return;
    const lagSeconds = Math.max(0, (now - this.plannedAt) / 1000);
    this.plannedAt = Math.max(this.plannedAt + this.d.tickSeconds * 1000, now - 1000);
    await this.pass(lagSeconds);
  }

  /** The wake timer fired: the earliest due rotation is due now. */
  private async onWake(): Promise<void> {
    const lagSeconds = Math.max(0, (this.d.clock().getTime() - this.wakeAt) / 1000);
    this.wake = undefined;
    this.wakeAt = Infinity;
    if (this.stopped) return;
    if (this.draining) await this.draining.catch(() => undefined); // the pass in progress may have begun before it was due
    await this.pass(lagSeconds);
  }

  private async pass(lagSeconds: number): Promise<void> {
    const t0 = Date.now();
    const r = await this.tick().catch((err) => {
      this.d.logger.warn({ err }, "scheduler tick failed; next tick retries");
      return { recovered: 0, claimed: 0 };
    });
    this.d.onTick?.({ lagSeconds, claimed: r.claimed, durationMs: Date.now() - t0 });
  }

  /** One pass: roll dead runners' intents forward, then drain everything due. Never overlaps itself. */
  tick(): Promise<TickResult> {
    if (this.draining) return this.draining;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      void this.arm();
    });
    return this.draining;
  }

  /** Sets the wake timer for the earliest rotation a claim could take (read from the store). */
  private async arm(): Promise<void> {
    if (this.stopped) return;
    const at = await nextDueAt(this.d.pool).catch((err: unknown) => {
      this.d.logger.warn({ err }, "could not read the next due time; the tick stays the safety net");
      return undefined;
    });
    this.disarm();
    // The store keeps microseconds, a JavaScript Date milliseconds (truncated): wake 1 ms after, never before.
    if (at) this.armAt(at.getTime() + 1);
  }

  /** A rotation's next time changed (on any runner): wake earlier when it is earlier than the timer. */
  private scheduled(at: number): void {
    if (this.stopped || !Number.isFinite(at) || at >= this.wakeAt) return;
    this.idle = false;
    this.armAt(at);
  }

  private armAt(at: number): void {
    if (this.stopped) return;
    clearTimeout(this.wake);
    this.wakeAt = at;
    // Already due, yet the last pass claimed nothing: another runner holds it; look again shortly, not at once.
    const wait = at - this.d.clock().getTime();
    // (A row that fell due after that claim looked is not one it failed to take: wake for it at once.)
    const delay = wait <= 0 && this.idle && at <= this.lastClaimAt ? WAKE_RETRY_MS : Math.min(MAX_WAKE_MS, Math.max(0, wait));
    this.wake = setTimeout(() => void this.onWake(), delay);
    this.wake.unref();
  }

  private disarm(): void {
    clearTimeout(this.wake);
    this.wake = undefined;
    this.wakeAt = Infinity;
  }

  private async drain(): Promise<TickResult> {
    const recovered = await this.d.engine.recover({ atStart: false });
    // Due rotations first; then, with the workers that are idle, the drift checks that are due.
    const claimed = await this.work((lease) => claimDue(this.d.pool, lease).then((rows) => rows.map((r) => r.id)), (id, leased) => this.runOne(id, leased));
    await this.work((lease) => claimDriftChecks(this.d.pool, lease), (id, leased) => this.checkOne(id, leased));
    this.idle = claimed === 0;
    return { recovered, claimed };
  }

  /**
   * Claims as many as workers are idle (never more: a claim does not wait in this runner's hands while its lease
   * runs out) and runs each, until nothing more is claimed or the scheduler stops; returns how many it claimed.
   */
  private async work(
    claim: (a: { now: Date; owner: string; token: string; leaseMs: number; limit: number }) => Promise<string[]>,
    run: (id: string, leased: { token: string; acquiredAt: number }) => Promise<void>,
  ): Promise<number> {
    let claimed = 0;
    const running = new Set<Promise<void>>();
    let exhausted = false;
    while (!this.halted) {
      const idle = this.d.concurrency - running.size;
      if (idle > 0 && !exhausted) {
        const now = this.d.clock();
        this.lastClaimAt = now.getTime();
        const token = randomUUID();
        const acquiredAt = performance.now();
        const ids = await claim({ now, owner: this.d.runnerId, token, leaseMs: this.d.engine.leaseMs, limit: idle });
        exhausted = ids.length < idle;
        for (const id of ids) {
          claimed++;
          const job: Promise<void> = run(id, { token, acquiredAt }).finally(() => running.delete(job));
          running.add(job);
        }
        if (ids.length) continue;
      }
      if (!running.size) break;
      await Promise.race(running);
    }
    await Promise.all(running);
    return claimed;
  }

  private async checkOne(id: string, leased: { token: string; acquiredAt: number }): Promise<void> {
    try {
      await this.d.engine.checkDrift(id, { trigger: "scheduled", leased });
    } catch (err) {
      if (!(err instanceof AppError)) this.d.logger.warn({ rotationId: id, err }, "drift check could not run");
    }
  }

  private async runOne(id: string, leased: { token: string; acquiredAt: number }): Promise<void> {
    try {
      // The engine decides (a grace-guard wait moves the planned time) and records failures and retries itself.
      await this.d.engine.rotate(id, { trigger: "scheduled", leased });
    } catch (err) {
      // A recorded failure or a lost lease is an AppError; anything else (store down) leaves the lease to run out.
      if (!(err instanceof AppError)) this.d.logger.warn({ rotationId: id, err }, "scheduled rotation could not run");
    }
  }
}
