/**
 * The scheduler: a node-cron tick every PGROTATE_TICK_SECONDS that (1) rolls forward intents whose runner
 * died (expired lease) and (2) drains every due rotation with bounded concurrency. Each worker claims one
 * rotation at a time (row lock + SKIP LOCKED + lease), so runners sharing a store split the work and each
 * rotation runs exactly once. The clock is injectable: tests call tick() with a fake clock.
 */
import cron, { type ScheduledTask } from "node-cron";
import type { Pool } from "pg";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import type { RotationRecord } from "../store/rows";
import { claimDue } from "../store/rotations";
import type { RotationEngine } from "./engine";

export interface SchedulerDeps {
  pool: Pool;
  engine: RotationEngine;
  logger: Logger;
  clock: () => Date;
  runnerId: string;
  tickSeconds: number;
  concurrency: number;
  /** Observed lag of a tick behind its planned time, in seconds (metrics). */
  onTick?: (info: { lagSeconds: number; claimed: number; durationMs: number }) => void;
}

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

  constructor(private readonly d: SchedulerDeps) {}

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
    await this.task?.destroy();
    this.task = undefined;
    await this.draining?.catch(() => undefined);
  }

  private async onCron(): Promise<void> {
    const now = Date.now();
    if (this.stopped || now + 50 < this.plannedAt || this.draining) return;
    const lagSeconds = Math.max(0, (now - this.plannedAt) / 1000);
    this.plannedAt = Math.max(this.plannedAt + this.d.tickSeconds * 1000, now - 1000);
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
    });
    return this.draining;
  }

  private async drain(): Promise<TickResult> {
    const recovered = await this.d.engine.recover({ atStart: false });
    let claimed = 0;
    const worker = async () => {
      while (!this.halted) {
        const now = this.d.clock();
        // One statement: the claim commits the lease, which the engine then holds (no second lease).
        const [leased] = await claimDue(this.d.pool, now, this.d.runnerId, new Date(now.getTime() + this.d.engine.leaseMs), 1);
        if (!leased) return;
        claimed++;
        await this.runOne(leased);
      }
    };
    await Promise.all(Array.from({ length: this.d.concurrency }, worker));
    return { recovered, claimed };
  }

  private async runOne(leased: RotationRecord): Promise<void> {
    try {
      // The engine decides (a grace-guard wait moves the planned time) and records failures and retries itself.
      await this.d.engine.rotate(leased.id, { trigger: "scheduled", leased });
    } catch (err) {
      // A recorded failure is an AppError; anything else (store down) leaves the lease to expire.
      if (!(err instanceof AppError)) this.d.logger.warn({ rotationId: leased.id, err }, "scheduled rotation could not run");
    }
  }
}
