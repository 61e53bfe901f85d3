/**
 * The rotation state machine, top to bottom (DESIGN.md "Rotation semantics").
 *
 *   create:  validate -> precheck target -> [store: rotation 'pending' + two intents, lease] ->
 *            set + verify user1, set + verify user2 -> [store: both credentials, secrets = user1, 'success']
 *   rotate:  [store: lease, or the scheduler's claim] -> [store: read the row, intents, connection, secrets under
 *            the lease] -> decide (decide.ts: finish a create, roll an intent forward, start fresh, nothing, wait
 *            for a project freeze, the rotation window or the grace guard, or read who uses the inactive user) ->
 *            (who uses it: its sessions on the target, registered consumers; then [store: decide again under the
 *            lease: hold — status held, the claim given back; a manual call is refused — or go on]) -> [store:
 *            intent for the inactive user] -> ALTER ROLE (verifier) -> login with the new password -> [store:
 *            credential, flip activeIndex, secrets, times, drop intent, clear a hold, give the lease back]
 *   recover: every intent left by a dead runner is rolled forward with its own password.
 *
 * Brackets are store transactions. At every instant each user's stored password, or its intent password,
 * logs in; the mapped secrets always hold a pair that logs in. The lease is a fencing token (lease.ts,
 * store/leased.ts): every write checks it, it is renewed while the work goes on, and a runner that lost it
 * neither touches the target again nor writes over the work of the runner that holds it now.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Pool, PoolClient } from "pg";
import { aad, type Sealer } from "../crypto/seal";
import { generatePassword, type PasswordRequirements } from "../crypto/passwords";
import { AppError, coerceError, folderLabel, notFound } from "../errors";
import { newId } from "../ids";
import type { Logger, Scrubber } from "../logger";
import type { PostgresStrategy, PreparedPassword } from "../postgres/strategy";
import { openTarget, type TargetConnection, tryLogin } from "../postgres/target";
import { isConnectionLoss, sqlState, UNIQUE_VIOLATION } from "../sqlstate";
import { withTransaction } from "../store/db";
import { findConnection, setServerId } from "../store/connections";
import * as leased from "../store/leased";
import type { RotationWork } from "../store/leased";
import * as rotations from "../store/rotations";
import { type ConnectionRecord, type IntentRecord, type ManagedBy, type RotationRecord } from "../store/rows";
import * as secrets from "../store/secrets";
import type { CreateRotationInput } from "../schemas";
import { type Decision, decide, type Trigger } from "./decide";
import { fault, type FaultHooks, SimulatedCrash } from "./faults";
import { assertNotConnectionRole, assertUsersFree } from "./ownership";
import { Lease, leaseLost } from "./lease";
import { type FailurePlan, LATE_RUN_MS, planAfterFailure } from "./retry";
import { nextRotationAt } from "./schedule";
import * as freezes from "../store/freezes";
import { describeWindow, windowed } from "./window";
import { describeUse, inUse, inUseDetails, readUsage, type UserUsage } from "./usage";

/** How long a lease lasts without renewal; one that ran out marks a runner that died (or stalled). */
export const LEASE_MS = 2 * 60 * 1000;
export const MAX_MESSAGE_CHARS = 1024;
export { GRACE_MS, MAX_INTENT_ATTEMPTS, type Trigger } from "./decide";

export interface EngineDeps {
  pool: Pool;
  sealer: Sealer;
  strategy: PostgresStrategy;
  scrubber: Scrubber;
  logger: Logger;
  clock: () => Date;
  runnerId: string;
  faults?: FaultHooks;
  /** Jitter source for retry backoff (tests pass a constant to assert planned times). */
  random?: () => number;
  /** How long a claim or a running rotation holds its lease (default LEASE_MS). */
  leaseMs?: number;
  /** Rotation succeeded / failed (webhooks, metrics). Never carries a secret. */
  onEvent?: (e: RotationEvent) => void;
  /** A scheduled rotation starts its target work this long after it was due (metrics: due → start). */
  onScheduledStart?: (lateMs: number) => void;
  /** A folder's mapped secrets changed in a commit of this runner (local cache invalidation). */
  secretsChanged?: (folder: { projectId: string; environment: string; secretPath: string }) => void;
}

/** Who uses each user of a rotation, as read at checkedAt (or why it could not be read). */
export interface UsageView {
  checkedAt: Date;
  users: UserUsage[];
  error?: string;
}

/** What begin() read and decided, and the intent it stored when the decision changes a password. */
interface Begun {
  run: Run;
  work: RotationWork;
  decision: Decision;
  next?: { intent: IntentRecord; password: string; prepared?: PreparedPassword };
}

/** One attempt under a lease: the row as read under it (read again when a write finds it changed), and its `seen`. */
interface Run {
  r: RotationRecord;
  seen: string;
  trigger: Trigger;
  started: Date;
  lease: Lease;
  /** This run ends a hold: what the history entry of its success says (who held it, and whether the hold ran out). */
  holdNote?: string;
}

/** One user as a drift check found it (its password only in memory, never in a report). */
interface DriftUser {
  username: string;
  state: "ok" | "rejected" | "dropped" | "unknown";
  repaired: boolean;
  password: string;
}

/** What a drift check found and did (no password in it). */
export interface DriftReport {
  rotationId: string;
  /** ok: both log in; repaired: reapplied; rotated: a fresh rotation; drifted: reported, not repaired; unreachable; skipped. */
  result: "ok" | "repaired" | "rotated" | "drifted" | "unreachable" | "skipped";
  users: Array<{ username: string; state: DriftUser["state"]; repaired: boolean }>;
  message: string | null;
  checkedAt: string;
}

const isLeaseLost = (err: unknown): boolean => err instanceof AppError && err.code === "LeaseLost";

/** Which users' passwords a create may have changed (by index): set for sure, or sent over a connection that broke. */
interface CreateProgress {
  changed: number[];
  uncertain: number[];
}

/** The server answered the statement with an error (it was not applied), rather than the connection failing. */
function refusedByServer(err: unknown): boolean {
  const code = sqlState(err) ?? sqlState((err as { cause?: unknown } | null)?.cause);
  return code !== undefined && !isConnectionLoss(code);
}

export interface RotationEvent {
  type: "rotation.succeeded" | "rotation.failed" | "rotation.drifted" | "rotation.held";
  rotationId: string;
  name: string;
  projectId: string;
  environment: string;
  secretPath: string;
  trigger: Trigger;
  attempt: number;
  activeIndex: number;
  durationMs: number;
  message: string | null;
  nextAttemptAt: string | null;
  occurredAt: string;
}

function rotationEvent(type: RotationEvent["type"], r: RotationRecord, run: Run, now: Date, x: { attempt: number; message?: string; nextAttemptAt?: Date | null }): RotationEvent {
  return {
    type,
    rotationId: r.id,
    name: r.name,
    projectId: r.projectId,
    environment: r.environment,
    secretPath: r.secretPath,
    trigger: run.trigger,
    attempt: x.attempt,
    activeIndex: r.activeIndex,
    durationMs: now.getTime() - run.started.getTime(),
    message: x.message ?? null,
    nextAttemptAt: x.nextAttemptAt ? x.nextAttemptAt.toISOString() : null,
    occurredAt: now.toISOString(),
  };
}

export class RotationEngine {
  constructor(private readonly d: EngineDeps) {}

  get leaseMs(): number {
    return this.d.leaseMs ?? LEASE_MS;
  }

  // ---------------------------------------------------------------- create

  /**
   * `connection`: the record of input.connectionId that the caller checked the principal may use (the route),
   * so the check and the use read the same row. `managedBy`: the IaC tool that sent the request
   * (X-Pgrotate-Managed-By), recorded on the rotation; `warnings` (when given) receives the precheck's warnings.
   */
  async create(input: CreateRotationInput, connection: ConnectionRecord, meta: { managedBy?: ManagedBy; warnings?: string[] } = {}): Promise<RotationRecord> {
    if (connection.id !== input.connectionId) throw new Error("create: the connection checked is not the one asked for");
    const { pool } = this.d;
    const folder = { projectId: input.projectId, environment: input.environment, secretPath: input.secretPath };
    await this.assertNameFree(pool, { ...folder, name: input.name });
    await this.assertKeysFree(pool, folder, [input.secretsMapping.username, input.secretsMapping.password]);

    const usernames = [input.parameters.username1, input.parameters.username2];
    assertNotConnectionRole(connection, usernames);
    const target = this.openTarget(connection);
    const serverId = connection.serverId ?? (await this.recordServer(connection.id, target));
    const owners = { serverId, connectionIds: [connection.id], usernames };
    await assertUsersFree(pool, owners);
    const warnings = await this.d.strategy.precheck(target, usernames);
    for (const w of warnings) this.d.logger.warn({ connectionId: connection.id }, w);
    meta.warnings?.push(...warnings);

    const id = newId();
    const jobId = newId();
    const token = randomUUID();
    const zoned = input.rotateAt !== undefined;
    const requirements = input.parameters.passwordRequirements;
    const intents = ([0, 1] as const).map((idx) => {
      const password = this.newPassword(requirements);
      return { rotationId: id, targetIndex: idx, kind: "create" as const, passwordSealed: this.d.sealer.seal(password, aad.intent(id, idx)), jobId, trigger: "create" };
    });
    const acquiredAt = performance.now();
    await withTransaction(pool, async (c) => {
      // Again under the server's lock: of two creates for one user, the second sees the first and stops here.
      await rotations.lockServerUsers(c, serverId);
      await assertUsersFree(c, owners);
      await rotations.insertRotation(c, {
        id,
        name: input.name,
        description: input.description ?? null,
        ...folder,
        connectionId: input.connectionId,
        isAutoRotationEnabled: input.isAutoRotationEnabled,
        rotationInterval: input.rotationInterval,
        rotateAt: (zoned ? input.rotateAt : input.rotateAtUtc) ?? { hours: 0, minutes: 0 },
        timeZone: zoned ? input.timeZone! : "UTC",
        usesUtc: !zoned,
        username1: usernames[0],
        username2: usernames[1],
        passwordRequirements: requirements,
        secretKeyUsername: input.secretsMapping.username,
        secretKeyPassword: input.secretsMapping.password,
        leaseOwner: this.d.runnerId,
        leaseToken: token,
        leaseMs: this.leaseMs,
        createdAt: this.d.clock(),
        managedBy: meta.managedBy ?? null,
        driftRepair: input.driftRepair,
        rotationWindow: input.rotationWindow ?? null,
        maxHoldHours: input.maxHoldHours,
      });
      for (const intent of intents) await rotations.insertIntent(c, intent);
    }).catch((err) => {
      throw this.conflictOr(err, `A rotation or secret with these names already exists in ${folderLabel(folder)}`);
    });
    const lease = this.lease(id, token, acquiredAt);
    const stored: IntentRecord[] = intents.map((i) => ({ ...i, attempts: 0, createdAt: new Date() }));
    return this.holding(lease, async () => {
      const touched: CreateProgress = { changed: [], uncertain: [] };
      try {
        await fault(this.d.faults, "afterIntent", id, 0);
        return await this.finishCreate(lease, target, stored, touched);
      } catch (err) {
        if (err instanceof SimulatedCrash || isLeaseLost(err)) throw err;
        throw await this.createFailed(lease, input, err, { ...touched, intents: stored });
      }
    });
  }

  /**
   * A create failed after its intents were stored. When no password may have changed yet, nothing half-made
   * stays behind: the rotation is removed and the caller gets the failure. When one may have (user 1 set and
   * proved, user 2's login refused), that password is never lost: the rotation is kept, status failed, with the
   * passwords it set as its generated credentials and its intents (a rotation, or the retry the scheduler plans,
   * finishes the create with the same passwords), and the answer names the users that were changed. When the
   * store does not answer either, the caller is told the truth: the rotation stays pending with its stored
   * passwords, and recovery finishes it once the store and the target answer.
   */
  private async createFailed(lease: Lease, input: CreateRotationInput, err: unknown, touched: CreateProgress & { intents: IntentRecord[] }): Promise<AppError> {
    const id = lease.rotationId;
    const failure = this.failure(err, "creating the rotation");
    const users = [input.parameters.username1, input.parameters.username2];
    const changed = [...touched.changed, ...touched.uncertain].sort().map((i) => users[i]);
    try {
      await fault(this.d.faults, "createCleanup", id, 0);
      if (!changed.length) {
        if (!(await leased.deleteLeased(this.d.pool, lease))) throw this.lost(lease);
        lease.released = true;
        return failure;
      }
      await this.keepFailedCreate(lease, failure, touched);
    } catch (storeErr) {
      if (isLeaseLost(storeErr)) return storeErr as AppError;
      this.d.logger.error({ rotationId: id, err: storeErr }, "a failed create could not be recorded; recovery will finish it");
      return new AppError(
        "StoreUnavailable",
        `${failure.message}. The half-made rotation ${JSON.stringify(input.name)} could not be ${changed.length ? "recorded" : "removed"} because the store did not answer, so it ` +
          "stays pending with the two passwords it stored, and pgrotate finishes creating it once the store and the target answer " +
          "(GET the rotation by name to see it).",
        { details: { rotationId: id, pendingCompletion: true }, cause: failure },
      );
    }
    const which = changed.map((u) => JSON.stringify(u)).join(" and ");
    return new AppError(
      failure.code,
      `${failure.message}. The password of ${which} was already changed, so the rotation ${JSON.stringify(input.name)} is kept with status ` +
        `failed and the passwords it set (GET …/${id}/generated-credentials); POST …/${id}/rotate-secrets finishes the create with the same ` +
        "passwords once the cause is fixed (the scheduler also retries it), or delete it",
      { details: { rotationId: id, changedUsers: changed, rotationKept: true }, cause: failure },
    );
  }

  /**
   * Records a failed create under its lease: the passwords it may have set become the credentials of their users
   * (readable, and what a finish sets again), status failed with the reason, a retry planned with backoff, a
   * history row; the intents stay, the lease is given back.
   */
  private async keepFailedCreate(lease: Lease, failure: AppError, touched: CreateProgress & { intents: IntentRecord[] }): Promise<void> {
    const id = lease.rotationId;
    const now = this.d.clock();
    await withTransaction(this.d.pool, async (c) => {
      const r = await leased.lockLeased(c, lease);
      if (!r) throw this.lost(lease);
      const { intents } = touched;
      for (const i of intents.filter((x) => touched.changed.includes(x.targetIndex) || touched.uncertain.includes(x.targetIndex))) {
        const username = i.targetIndex === 0 ? r.username1 : r.username2;
        await rotations.upsertCredential(c, id, i.targetIndex, username, this.d.sealer.seal(this.openIntent(i), aad.credential(id, i.targetIndex)));
      }
      const plan = this.inWindow(r, planAfterFailure({ ...this.spec(r), enabled: true }, r.retryAttempt + 1, now, this.d.random));
      await rotations.updateRotation(c, id, {
        rotationStatus: "failed",
        retryAttempt: plan.retryAttempt,
        nextRotationAt: plan.nextAttemptAt,
        lastRotationAttemptedAt: now,
        lastRotationMessage: failure.message,
      });
      await rotations.insertHistory(c, {
        rotationId: id, jobId: intents[0]?.jobId ?? null, attempt: r.retryAttempt + 1, trigger: "create", result: "failed", targetIndex: null,
        runnerId: this.d.runnerId, startedAt: r.createdAt, finishedAt: now, message: failure.message, nextAttemptAt: plan.nextAttemptAt,
      });
      await leased.releaseLease(c, lease);
    });
    lease.released = true;
    this.d.logger.warn({ rotationId: id, reason: failure.message }, "create failed after a password was set; the rotation is kept as failed with the passwords it set");
  }

  /**
   * Sets and proves both intent passwords, then, in one transaction under the lease, stores both credentials and
   * the secrets, marks the rotation created and gives the lease back.
   */
  private async finishCreate(lease: Lease, target: TargetConnection, intents: IntentRecord[], touched?: CreateProgress): Promise<RotationRecord> {
    const id = lease.rotationId;
    const r = await this.mustFind(id);
    const users = [r.username1, r.username2];
    const passwords = intents.map((i) => this.openIntent(i));
    for (const i of intents) {
      lease.assertHeld();
      try {
        await this.d.strategy.setPassword(target, users[i.targetIndex], passwords[i.targetIndex]);
      } catch (err) {
        // A statement the server refused changed nothing; a connection that broke may have left it applied.
        if (!refusedByServer(err)) touched?.uncertain.push(i.targetIndex);
        throw err;
      }
      touched?.changed.push(i.targetIndex);
      await fault(this.d.faults, "afterAlter", id, i.targetIndex);
      lease.assertHeld();
      await this.d.strategy.verifyLogin(target, users[i.targetIndex], passwords[i.targetIndex]);
      await fault(this.d.faults, "afterVerify", id, i.targetIndex);
    }
    const now = this.d.clock();
    const jobId = intents[0]?.jobId ?? null;
    await withTransaction(this.d.pool, async (c) => {
      const current = await leased.lockLeased(c, lease);
      if (!current) throw this.lost(lease);
      for (const i of intents) {
        await rotations.upsertCredential(c, id, i.targetIndex, users[i.targetIndex], this.d.sealer.seal(passwords[i.targetIndex], aad.credential(id, i.targetIndex)));
      }
      const folder = { projectId: r.projectId, environment: r.environment, secretPath: r.secretPath };
      for (const [key, value] of [[current.secretKeyUsername, users[0]], [current.secretKeyPassword, passwords[0]]]) {
        const secretId = newId();
        await secrets.insertSecret(c, { id: secretId, folder, key, valueSealed: this.d.sealer.seal(value, aad.secret(secretId)), rotationId: id });
      }
      await fault(this.d.faults, "insideCommit", id, 0);
      await rotations.updateRotation(c, id, {
        rotationStatus: "success",
        activeIndex: 0,
        inactiveSince: null,
        lastRotatedAt: now,
        lastRotationAttemptedAt: now,
        lastRotationJobId: jobId,
        lastRotationMessage: null,
        isLastRotationManual: true,
        nextRotationAt: this.nextAt(current, now, true),
        retryAttempt: 0,
      });
      await rotations.insertHistory(c, {
        rotationId: id, jobId, attempt: current.retryAttempt + 1, trigger: "create", result: "success", targetIndex: null,
        runnerId: this.d.runnerId, startedAt: current.createdAt, finishedAt: now, message: null, nextAttemptAt: null,
      });
      if (jobId) await rotations.deleteIntentsOfJob(c, id, jobId);
      await leased.releaseLease(c, lease);
    }).catch((err) => {
      throw this.conflictOr(err, `A secret named ${r.secretKeyUsername} or ${r.secretKeyPassword} already exists in ${folderLabel(r)}`);
    });
    lease.released = true;
    this.d.secretsChanged?.(r);
    this.d.logger.info({ rotationId: id, name: r.name }, "rotation created; both users' passwords set and verified");
    return this.mustFind(id);
  }

  // ---------------------------------------------------------------- rotate

  /**
   * Rotates now. The store's part before the target is one transaction (begin); then ALTER ROLE, the login that
   * proves the new password, and the commit. Every store write checks the lease; it is renewed while the target works.
   */
  async rotate(
    id: string,
    opts: {
      trigger: Exclude<Trigger, "create">;
      force?: boolean;
      reclaimOwnLease?: boolean;
      leased?: { token: string; acquiredAt: number };
      /** Told what was decided (a drift repair reports a rotation that waits for its window or a freeze). */
      decided?: (d: Decision) => void;
    },
  ): Promise<RotationRecord> {
    const started = this.d.clock();
    const lease = this.lease(id, opts.leased?.token ?? randomUUID(), opts.leased?.acquiredAt ?? performance.now());
    return this.holding(lease, async () => {
      let begun = await this.begin(lease, opts, started);
      if (begun.decision.do === "read-usage") begun = await this.readRetiringUsage(lease, opts, started, begun);
      const { run, work, decision, next } = begun;
      opts.decided?.(decision);
      if (decision.do === "read-usage" || waits(decision)) return run.r;
      if (opts.trigger === "scheduled" && work.rotation.nextRotationAt) this.d.onScheduledStart?.(started.getTime() - work.rotation.nextRotationAt.getTime());
      const target = this.openTarget(work.connection);
      if (decision.do === "finish-create") {
        // A create that a crash (or a failed earlier attempt) interrupted: finish it with its own two passwords.
        return this.finishCreate(lease, target, work.intents).catch((err) => this.fail(run, err, "finishing the interrupted create"));
      }
      if (!next) throw new Error(`rotation ${id}: no intent for ${decision.do}`);
      const { intent, password, prepared } = next;
      await fault(this.d.faults, "afterIntent", id, intent.targetIndex);

      const username = intent.targetIndex === 0 ? run.r.username1 : run.r.username2;
      let done: RotationRecord;
      try {
        lease.assertHeld();
        await this.d.strategy.setPassword(target, username, prepared ?? password);
        await fault(this.d.faults, "afterAlter", id, intent.targetIndex);
        lease.assertHeld();
        await this.d.strategy.verifyLogin(target, username, password);
        await fault(this.d.faults, "afterVerify", id, intent.targetIndex);
        done = await this.commitRotation(run, intent, work, username, password);
      } catch (err) {
        return this.fail(run, err, `rotating ${JSON.stringify(username)}`, intent);
      }
      const ms = this.d.clock().getTime() - started.getTime();
      this.d.logger.info({ rotationId: id, name: done.name, activeIndex: done.activeIndex, trigger: opts.trigger, ms }, "rotation succeeded");
      this.d.onEvent?.(rotationEvent("rotation.succeeded", done, run, this.d.clock(), { attempt: run.r.retryAttempt + 1 }));
      return done;
    });
  }

  /**
   * The store's part before the target is touched, in one transaction (one durable commit): the lease — taken
   * here, or the scheduler's claim, checked — with the row locked; the row, its leftover intents, its connection
   * and its mapped secrets and its project's freeze read under it; the decision (decide.ts); and what the decision
   * writes before any target work: a new intent (its verifier computed off the event loop meanwhile), or, for a
   * scheduled run, a grace or window wait, a hold, or the claim given back. A manual call that the grace guard, the
   * window, a freeze or the hold refuses, or that finds the rotation busy, writes nothing at all. Called a second
   * time with `usage` after a "read-usage" decision (readRetiringUsage): the lease is then checked, not taken.
   */
  private async begin(
    lease: Lease,
    opts: { trigger: Exclude<Trigger, "create">; force?: boolean; reclaimOwnLease?: boolean; leased?: unknown },
    started: Date,
    usage?: UserUsage,
  ): Promise<Begun> {
    const id = lease.rotationId;
    let givenBack = false;
    const begun = await withTransaction(this.d.pool, async (c) => {
      if (!opts.leased && !(await leased.takeLease(c, { id, owner: this.d.runnerId, token: lease.token, leaseMs: this.leaseMs, reclaimOwn: opts.reclaimOwnLease === true }))) {
        lease.released = true; // never held
        throw await this.busy(id);
      }
      const work = await leased.leasedWork(c, lease, { lock: true });
      if (!work) throw this.lost(lease);
      const run: Run = { r: work.rotation, seen: work.seen, trigger: opts.trigger, started, lease };
      const frozen = await freezes.findFreeze(c, run.r.projectId);
      const freeze = frozen && { reason: frozen.reason, since: frozen.frozenAt };
      const decision = decide({ trigger: opts.trigger, force: opts.force === true, now: started, rotation: run.r, leftovers: work.intents, freeze, usage: usage && { inUse: inUse(usage) } });
      // ---- windows and freezes: a manual call is refused (nothing written); otherwise the claim is given back below.
      if (decision.do === "wait-freeze" || decision.do === "wait-window") {
        if (opts.trigger === "manual") {
          if (!opts.leased) lease.released = true; // rolled back with the rest: never held
          throw this.windowRefusal(run.r, decision);
        }
        const moveTo = waitingTime(run.r, decision, opts.trigger, started);
        if (moveTo !== undefined) {
          await rotations.updateRotation(c, id, { nextRotationAt: moveTo });
          run.r = { ...run.r, nextRotationAt: moveTo };
        }
      }
      if (decision.do === "wait-grace") {
        if (opts.trigger !== "scheduled") {
          if (!opts.leased) lease.released = true; // rolled back with the rest: never held
          throw this.graceRefusal(run.r, decision);
        }
        // A scheduled run moves its time to the moment it is allowed (the window's opening at or after it), and
        // gives its claim back.
        const moveTo = windowed(decision.allowedAt, run.r.rotationWindow, run.r.timeZone);
        await rotations.updateRotation(c, id, { nextRotationAt: moveTo });
        run.r = { ...run.r, nextRotationAt: moveTo };
      }
      if (decision.do === "read-usage") return { run, work, decision }; // nothing written: the lease stays for the second look
      if (decision.do === "hold") {
        if (opts.trigger !== "scheduled") throw this.inUseRefusal(usage!); // the lease (taken by the first look) is given back by holding()
        run.r = await this.recordHold(c, run, decision, usage!);
      }
      if (decision.do === "start-fresh" && decision.holdExpired) {
        run.holdNote = `Proceeded after the hold ran out (held since ${run.r.heldSince?.toISOString() ?? started.toISOString()}, maxHoldHours ${run.r.maxHoldHours}); still in use: ${describeUse(usage!)}`;
        this.d.logger.warn({ rotationId: id, name: run.r.name, heldSince: run.r.heldSince, maxHoldHours: run.r.maxHoldHours }, `hold ran out (maxHoldHours): proceeding although still in use: ${describeUse(usage!)}`);
      } else if (decision.do === "start-fresh" && run.r.heldSince) {
        const how = opts.force ? "rotated with force while held" : usage ? "proceeded once the user was free" : "proceeded without looking again (maxHoldHours is 0)";
        run.holdNote = `Held from ${run.r.heldSince.toISOString()} (${run.r.heldBy ?? "in use"}); ${how}`;
      }
      if (waits(decision)) {
        await leased.releaseLease(c, lease);
        givenBack = true;
        return { run, work, decision };
      }
      if (decision.do === "finish-create" || (decision.do === "roll-forward" && !decision.renew)) {
        const leftover = decision.do === "roll-forward" ? { intent: work.intents[0], password: this.openIntent(work.intents[0]) } : undefined;
        return { run, work, decision, next: leftover };
      }
      const targetIndex = decision.do === "start-fresh" ? decision.targetIndex : work.intents[0].targetIndex;
      const { password, intent } = this.newIntent(run.r, targetIndex, run.trigger);
      const prepared = this.d.strategy.prepare(password);
      if (!(await leased.storeIntent(c, lease, intent, { replace: decision.do === "roll-forward" }))) {
        throw new Error(`rotation ${id}: an intent appeared under this runner's lease`);
      }
      return { run, work, decision, next: { intent: { ...intent, attempts: 0, createdAt: this.d.clock() }, password, prepared } };
    });
    if (givenBack) {
      lease.released = true;
      if (begun.decision.do === "wait-grace") this.d.logger.info({ rotationId: id, allowedAt: begun.decision.allowedAt }, "scheduled rotation waits for the grace period");
      if (begun.decision.do === "wait-window") {
        this.d.logger.info({ rotationId: id, trigger: opts.trigger, nextOpening: begun.decision.until }, "rotation waits for its rotation window to open");
      }
      if (begun.decision.do === "wait-freeze") this.d.logger.info({ rotationId: id, trigger: opts.trigger, reason: begun.decision.reason }, "rotation waits: its project is frozen");
      if (begun.decision.do === "hold" && begun.decision.heldSince.getTime() === started.getTime()) {
        this.d.logger.warn({ rotationId: id, name: begun.run.r.name, recheckAt: begun.decision.recheckAt, until: begun.decision.until }, `scheduled rotation held: ${begun.run.r.heldBy}`);
        this.d.onEvent?.(rotationEvent("rotation.held", begun.run.r, begun.run, this.d.clock(), { attempt: 0, message: `Held: ${begun.run.r.heldBy}`, nextAttemptAt: begun.decision.recheckAt }));
      }
    }
    return begun;
  }

  /** A manual rotation outside its window or in a frozen project: 409, naming when or why, and that force overrides it. */
  private windowRefusal(r: RotationRecord, d: Extract<Decision, { do: "wait-freeze" | "wait-window" }>): AppError {
    if (d.do === "wait-freeze") {
      return new AppError(
        "ProjectFrozen",
        `Project ${r.projectId} is frozen since ${d.since.toISOString()} (${d.reason}): its rotations do not run until it is unfrozen. ` +
          "Retry with ?force=true to rotate anyway (force also passes the rotation window, the grace guard and the retirement hold)",
        { details: { reason: d.reason, since: d.since.toISOString() } },
      );
    }
    const window = r.rotationWindow ? describeWindow(r.rotationWindow, r.timeZone) : "";
    return new AppError(
      "OutsideRotationWindow",
      `Secret rotation ${r.name} may rotate only inside its rotation window (${window}); ` +
        `${d.until ? `it opens next at ${d.until.toISOString()}` : "it does not open again"}. ` +
        "Retry then, or with ?force=true to rotate anyway (force also passes a project freeze, the grace guard and the retirement hold)",
      { details: { nextOpening: d.until ? d.until.toISOString() : null } },
    );
  }

  // ---- retirement hold (issue 25)

  /**
   * Reads who uses the user about to get a new password, then decides again (begin with the usage). The read is
   * target I/O, so it runs between the two store transactions, never inside one: a row lock held while a slow target
   * answers would stall PATCHes and other runners' claims. This runner holds the lease all along (taken or checked
   * by the first begin, renewed by holding()); the second begin checks it again under the row lock, so a runner that
   * lost it meanwhile writes nothing and touches the target no further. A failed read fails the attempt (recorded,
   * retried like any target error): it never counts as "nobody uses it".
   */
  private async readRetiringUsage(lease: Lease, opts: { trigger: Exclude<Trigger, "create">; force?: boolean }, started: Date, first: Begun): Promise<Begun> {
    if (first.decision.do !== "read-usage") return first;
    const index = first.decision.targetIndex;
    let usage: UserUsage;
    try {
      lease.assertHeld();
      [usage] = await readUsage(this.d, this.openTarget(first.work.connection), first.run.r, started, { index });
    } catch (err) {
      return this.fail(first.run, err, `reading who uses ${JSON.stringify(index === 0 ? first.run.r.username1 : first.run.r.username2)}`);
    }
    await fault(this.d.faults, "afterUsageRead", first.run.r.id, index);
    return this.begin(lease, { trigger: opts.trigger, force: opts.force, leased: true }, started, usage);
  }

  /**
   * A scheduled run holds: status held (since when, by whom), the next look at recheckAt. The history records the
   * hold when it ends (the success entry says who held it, and whether the hold ran out).
   */
  private async recordHold(c: PoolClient, run: Run, d: Extract<Decision, { do: "hold" }>, usage: UserUsage): Promise<RotationRecord> {
    const set = { rotationStatus: "held" as const, heldSince: d.heldSince, heldBy: describeUse(usage), nextRotationAt: d.recheckAt };
    await rotations.updateRotation(c, run.r.id, set);
    return { ...run.r, ...set };
  }

  /** The refusal of a manual rotation while someone uses the user it would change: 409, naming them. */
  private inUseRefusal(u: UserUsage): AppError {
    return new AppError(
      "RetiringUserInUse",
      `Rotating now would change the password of a user still in use: ${describeUse(u)}. Stop those clients or move them to the active ` +
        "user's credentials (they read the secrets again), or retry with ?force=true",
      { details: inUseDetails(u) },
    );
  }

  /** The grace guard's refusal of a manual rotation: 409, naming when it is allowed. */
  private graceRefusal(r: RotationRecord, d: Extract<Decision, { do: "wait-grace" }>): AppError {
    const inactive = d.inactiveIndex === 0 ? r.username1 : r.username2;
    return new AppError(
      "GracePeriod",
      `Rotating now would change the password of ${JSON.stringify(inactive)}, which stopped being active at ` +
        `${r.inactiveSince?.toISOString()}; consumers may still hold it. Allowed from ${d.allowedAt.toISOString()}, or retry with ?force=true`,
      { details: { reason: "grace-period", allowedAt: d.allowedAt.toISOString() } },
    );
  }

  /**
   * The commit, one statement (so one transaction) under the lease: credential, flip, secrets, times, status and
   * history; this job's intent goes and the lease is given back. The secrets are the ones read under this lease,
   * by id (a rename keeps the id); the next rotation time is computed from the row as it is at the commit.
   */
  private async commitRotation(run: Run, intent: IntentRecord, work: RotationWork, username: string, password: string): Promise<RotationRecord> {
    const now = this.d.clock();
    const { sealer } = this.d;
    const id = run.r.id;
    const mapped = [
      ...work.secretIds.username.map((secretId) => ({ secretId, value: username })),
      ...work.secretIds.password.map((secretId) => ({ secretId, value: password })),
    ];
    const credential = { index: intent.targetIndex, username, sealed: sealer.seal(password, aad.credential(id, intent.targetIndex)) };
    const secretValues = { ids: mapped.map((x) => x.secretId), values: mapped.map((x) => sealer.seal(x.value, aad.secret(x.secretId))) };
    await fault(this.d.faults, "insideCommit", id, intent.targetIndex);
    const row = await this.writeLeased(run, (r) => {
      // A full interval always passes: after a manual rotation past the time of day, and after a late catch-up run.
      const late = !r.nextRotationAt || now.getTime() - r.nextRotationAt.getTime() > LATE_RUN_MS;
      return {
        set: {
          activeIndex: intent.targetIndex,
          inactiveSince: now,
          rotationStatus: "success",
          lastRotatedAt: now,
          lastRotationAttemptedAt: now,
          lastRotationJobId: intent.jobId,
          lastRotationMessage: null,
          isLastRotationManual: run.trigger === "manual",
          nextRotationAt: this.nextAt(r, now, run.trigger === "manual" || run.trigger === "drift" || late),
          retryAttempt: 0,
          driftCheckedAt: now,
          heldSince: null,
          heldBy: null,
        },
        release: true,
        history: this.history(run, r, "success", now, {
          jobId: intent.jobId, targetIndex: intent.targetIndex,
          message: run.holdNote,
        }),
        intent: { jobId: intent.jobId, action: "delete" },
        credential,
        secrets: secretValues,
      };
    });
    this.d.secretsChanged?.(row);
    return row;
  }

  /**
   * Records a failed attempt (the intent stays for the next one) and answers with a redacted error.
   * Manual: status "failed" at once, the schedule is untouched. Automatic: retry with backoff, and after
   * MAX_ATTEMPTS "failed" until the next scheduled time. The active credentials are never touched. A runner that
   * lost its lease records nothing (the new holder's work is not overwritten) and answers LeaseLost.
   */
  private async fail(run: Run, err: unknown, doing: string, intent?: IntentRecord): Promise<never> {
    if (err instanceof SimulatedCrash || isLeaseLost(err)) throw err;
    const appErr = this.failure(err, doing);
    const now = this.d.clock();
    const automatic = run.trigger !== "manual";
    let plan: FailurePlan = { status: "failed", retryAttempt: run.r.retryAttempt, nextAttemptAt: run.r.nextRotationAt };
    try {
      await this.writeLeased(run, (r) => {
        const attempt = r.retryAttempt + 1;
        plan = automatic
          ? this.inWindow(r, planAfterFailure({ ...this.spec(r), enabled: r.isAutoRotationEnabled }, attempt, now, this.d.random))
          : { status: "failed", retryAttempt: r.retryAttempt, nextAttemptAt: r.nextRotationAt };
        // A failure after a hold was passed (its intent written) ends the hold: the status tells of the failure.
        const passedHold = intent !== undefined && r.rotationStatus === "held";
        return {
          set: {
            rotationStatus: plan.status === "failed" || passedHold ? "failed" : undefined,
            ...(passedHold ? { heldSince: null, heldBy: null } : {}),
            retryAttempt: plan.retryAttempt,
            nextRotationAt: plan.nextAttemptAt,
            lastRotationAttemptedAt: now,
            lastRotationMessage: appErr.message,
          },
          release: true,
          history: this.history(run, r, "failed", now, {
            jobId: intent?.jobId ?? null, targetIndex: intent?.targetIndex ?? null, message: appErr.message, nextAttemptAt: plan.nextAttemptAt,
          }),
          intent: intent && { jobId: intent.jobId, action: "count-attempt" },
        };
      });
    } catch (storeErr) {
      if (isLeaseLost(storeErr)) {
        this.d.logger.warn({ rotationId: run.r.id, reason: appErr.message }, "a rotation attempt failed after its lease was lost; nothing recorded, the runner holding it now finishes it");
        throw storeErr;
      }
      this.d.logger.error({ rotationId: run.r.id, err: storeErr }, "could not record a failed rotation");
    }
    const attempt = run.r.retryAttempt + 1;
    this.d.logger.warn(
      { rotationId: run.r.id, name: run.r.name, trigger: run.trigger, attempt, reason: appErr.message, nextAttemptAt: plan.nextAttemptAt },
      plan.status === "retrying" ? "rotation failed; will retry; active credentials untouched" : "rotation failed; active credentials untouched",
    );
    this.d.onEvent?.(rotationEvent("rotation.failed", run.r, run, now, { attempt, message: appErr.message, nextAttemptAt: plan.nextAttemptAt }));
    throw appErr;
  }

  private history(run: Run, r: RotationRecord, result: "success" | "failed", now: Date, x: { jobId: string | null; targetIndex: number | null; message?: string; nextAttemptAt?: Date | null }): rotations.HistoryEntry {
    return {
      rotationId: r.id,
      jobId: x.jobId,
      attempt: r.retryAttempt + 1,
      trigger: run.trigger,
      result,
      targetIndex: x.targetIndex,
      runnerId: this.d.runnerId,
      startedAt: run.started,
      finishedAt: now,
      message: x.message ?? null,
      nextAttemptAt: x.nextAttemptAt ?? null,
    };
  }

  // ---------------------------------------------------------------- recover

  /**
   * Rolls forward every intent whose runner is gone: any whose lease ran out or was released, and at start also
   * those leased to this runner id in its previous life. Returns how many were finished.
   */
  async recover(opts: { atStart: boolean }): Promise<number> {
    const now = this.d.clock();
    // A previous life of this runner that died between a lease and its intent left a lease with nothing to
    // roll forward: give those back at once instead of blocking the rotation until the lease runs out.
    if (opts.atStart) await leased.releaseIdleLeases(this.d.pool, this.d.runnerId);
    const ids = await leased.rotationsWithOrphanIntents(this.d.pool, now, opts.atStart ? this.d.runnerId : undefined);
    let finished = 0;
    for (const id of ids) {
      try {
        await this.rotate(id, { trigger: "recovery", reclaimOwnLease: opts.atStart });
        finished++;
      } catch (err) {
        // Busy: another runner (its claim, or its own recovery) took it first and finishes it.
        const busy = err instanceof AppError && (err.code === "Conflict" || err.code === "LeaseLost");
        if (busy) this.d.logger.debug({ rotationId: id }, "an interrupted rotation is being rolled forward by another runner");
        else this.d.logger.warn({ rotationId: id, err }, "could not roll an interrupted rotation forward; will retry");
      }
    }
    return finished;
  }

  // ---------------------------------------------------------------- delete

  async delete(id: string, opts: { revokeGeneratedCredentials: boolean; deleteSecrets: boolean }): Promise<RotationRecord> {
    const { lease, row: r } = await this.takeLease(id, false);
    await this.holding(lease, async () => {
      try {
        if (opts.revokeGeneratedCredentials) {
          const creds = await this.credentials(id);
          lease.assertHeld();
          await this.d.strategy.revoke(await this.target(r.connectionId), creds.map((x) => ({ username: x.username, oldPassword: x.password })));
        }
        await withTransaction(this.d.pool, async (c) => {
          if (!(await leased.lockLeased(c, lease))) throw this.lost(lease);
          if (opts.deleteSecrets) await secrets.deleteSecretsOfRotation(c, id);
          await rotations.deleteRotation(c, id);
        });
        lease.released = true;
      } catch (err) {
        throw this.failure(err, "deleting the rotation");
      }
    });
    this.d.secretsChanged?.(r);
    this.d.logger.info({ rotationId: id, name: r.name, ...opts }, "rotation deleted");
    return r;
  }

  // ---------------------------------------------------------------- drift

  /**
   * Logs in with both stored passwords. One that no longer works (a store restored from an older backup, an ALTER
   * ROLE by hand) means the rotation drifted: it is repaired as its driftRepair says — the stored password set on
   * the user again and proven (the store is the source of truth: consumers that read again get a pair that works),
   * a fresh rotation, or only reported (status drifted, webhook rotation.drifted). A dropped role is reported, never
   * recreated. Runs under the lease, like a rotation; a rotation left unfinished is recovery's first.
   */
  async checkDrift(id: string, opts: { trigger: "manual" | "scheduled"; leased?: { token: string; acquiredAt: number } }): Promise<DriftReport> {
    const started = this.d.clock();
    const lease = opts.leased ? this.lease(id, opts.leased.token, opts.leased.acquiredAt) : (await this.takeLease(id, false)).lease;
    const report = await this.holding(lease, async (): Promise<DriftReport> => {
      const work = await leased.leasedWork(this.d.pool, lease);
      if (!work) throw this.lost(lease);
      const run: Run = { r: work.rotation, seen: work.seen, trigger: "drift", started, lease };
      const done = (result: DriftReport["result"], users: DriftReport["users"], message: string | null): DriftReport => ({ rotationId: id, result, users, message, checkedAt: started.toISOString() });
      if (work.intents.length || run.r.rotationStatus === "pending") return done("skipped", [], "A rotation of it is unfinished: recovery finishes it first");
      const target = this.openTarget(work.connection);
      const users: DriftUser[] = [];
      for (const c of await this.credentials(id)) {
        lease.assertHeld();
        users.push({ username: c.username, state: await this.loginState(target, c.username, c.password), repaired: false, password: c.password });
      }
      const shown = () => users.map(({ password: _p, ...u }) => u);
      const unknown = users.find((u) => u.state === "unknown");
      if (unknown) {
        await this.writeLeased(run, () => ({ set: { driftCheckedAt: started }, release: false }));
        return done("unreachable", shown(), `The target could not be reached to check ${JSON.stringify(unknown.username)}; checked again tomorrow`);
      }
      const drifted = users.filter((u) => u.state !== "ok");
      if (!drifted.length) {
        const cleared = run.r.rotationStatus === "drifted";
        await this.writeLeased(run, (r) => ({
          set: { driftCheckedAt: started, ...(cleared ? { rotationStatus: "success" as const, lastRotationMessage: null } : {}) },
          release: false,
          history: cleared ? this.history(run, r, "success", this.d.clock(), { jobId: null, targetIndex: null, message: "no drift any more: both stored passwords log in" }) : undefined,
        }));
        return done("ok", shown(), null);
      }
      const what = drifted.map((u) => (u.state === "dropped" ? `the role ${JSON.stringify(u.username)} does not exist any more` : `the stored password of ${JSON.stringify(u.username)} no longer logs in`)).join("; ");
      this.d.onEvent?.(rotationEvent("rotation.drifted", run.r, run, this.d.clock(), { attempt: 0, message: `Drift: ${what}` }));
      this.d.logger.warn({ rotationId: id, name: run.r.name, repair: run.r.driftRepair }, `drift found: ${what}`);
      const dropped = drifted.some((u) => u.state === "dropped");
      if (run.r.driftRepair === "reapply" && !dropped) {
        try {
          for (const u of drifted) {
            lease.assertHeld();
            await this.d.strategy.setPassword(target, u.username, u.password);
            await this.d.strategy.verifyLogin(target, u.username, u.password);
            u.repaired = true;
          }
          const message = `repaired drift: ${what}; the stored password was set on the user again and logs in`;
          await this.writeLeased(run, (r) => ({
            set: { driftCheckedAt: started, ...(r.rotationStatus === "drifted" ? { rotationStatus: "success" as const, lastRotationMessage: null } : {}) },
            release: false,
            history: this.history(run, r, "success", this.d.clock(), { jobId: null, targetIndex: null, message }),
          }));
          this.d.logger.info({ rotationId: id }, message);
          return done("repaired", shown(), message);
        } catch (err) {
          if (isLeaseLost(err) || err instanceof SimulatedCrash) throw err;
          return this.markDrifted(run, started, `${what}; reapplying it failed: ${this.failure(err, "repairing drift").message}`, done, shown());
        }
      }
      const why = dropped ? `${what} (pgrotate does not recreate roles)` : run.r.driftRepair === "off" ? `${what} (driftRepair is off: not repaired)` : what;
      return this.markDrifted(run, started, why, done, shown());
    });
    if (report.result === "drifted" && report.users.every((u) => u.state !== "dropped")) {
      const r = await this.mustFind(id);
      if (r.driftRepair === "rotate") {
        // A fresh rotation: the inactive user gets a new password (forced past the grace guard: a drifted password is
        // no one's to keep; not past the rotation window or a freeze, which only move it to when they allow).
        let waited: string | undefined;
        await this.rotate(id, {
          trigger: "drift",
          force: true,
          decided: (d) => {
            if (d.do === "wait-window") waited = d.until ? `a fresh rotation waits for the rotation window (opens ${d.until.toISOString()})` : "a fresh rotation waits: the rotation window does not open again";
            if (d.do === "wait-freeze") waited = `a fresh rotation waits: project ${r.projectId} is frozen (${d.reason}); it runs once unfrozen`;
          },
        });
        if (waited) return { ...report, message: `${report.message ?? ""}; ${waited}` };
        return { ...report, result: "rotated", message: `${report.message ?? ""}; rotated afresh` };
      }
    }
    return report;
  }

  /** Records the drift (status drifted, the reason, a history entry) and says so. */
  private async markDrifted(
    run: Run,
    at: Date,
    message: string,
    done: (result: DriftReport["result"], users: DriftReport["users"], message: string | null) => DriftReport,
    users: DriftReport["users"],
  ): Promise<DriftReport> {
    const capped = this.d.scrubber.scrub(`Drift: ${message}`).slice(0, MAX_MESSAGE_CHARS);
    await this.writeLeased(run, (r) => ({
      set: { rotationStatus: "drifted", lastRotationMessage: capped, driftCheckedAt: at },
      release: false,
      history: this.history(run, r, "failed", this.d.clock(), { jobId: null, targetIndex: null, message: capped }),
    }));
    return done("drifted", users, capped);
  }

  /** Does the stored password log in: ok, rejected, the role is gone (dropped), or the target did not answer (unknown)? */
  private async loginState(target: TargetConnection, username: string, password: string): Promise<DriftUser["state"]> {
    try {
      if ((await tryLogin(target, username, password)) === "ok") return "ok";
    } catch {
      return "unknown";
    }
    try {
      const exists = await this.d.strategy.inspect(target, "checking a role exists", async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [username])).rowCount === 1);
      return exists ? "rejected" : "dropped";
    } catch {
      return "rejected";
    }
  }

  // ---------------------------------------------------------------- reads

  /** Who uses each of the rotation's users now (GET …/:id?include=usage): read on the target, never stored; a failure is text. */
  async usage(r: RotationRecord): Promise<UsageView> {
    const checkedAt = this.d.clock();
    try {
      return { checkedAt, users: await readUsage(this.d, await this.target(r.connectionId), r, checkedAt, "both") };
    } catch (err) {
      return { checkedAt, users: [], error: this.failure(err, "reading who uses the users").message };
    }
  }

  /** Both users' stored passwords, opened. */
  async credentials(id: string): Promise<Array<{ idx: number; username: string; password: string }>> {
    const rows = await rotations.credentialsOf(this.d.pool, id);
    return rows.map((x) => {
      const password = this.d.sealer.open(x.passwordSealed, aad.credential(id, x.idx));
      this.d.scrubber.remember(password);
      return { idx: x.idx, username: x.username, password };
    });
  }

  // ---------------------------------------------------------------- helpers

  /** Takes the rotation's lease (a new token); a live lease of another runner means it is busy. */
  private async takeLease(id: string, reclaimOwn: boolean): Promise<{ lease: Lease; row: RotationRecord }> {
    const token = randomUUID();
    const acquiredAt = performance.now();
    const row = await leased.takeLease(this.d.pool, { id, owner: this.d.runnerId, token, leaseMs: this.leaseMs, reclaimOwn });
    if (row) return { lease: this.lease(id, token, acquiredAt), row };
    throw await this.busy(id);
  }

  /** Why a lease could not be taken: the rotation is gone (404), or another runner holds it (409). */
  private async busy(id: string): Promise<AppError> {
    const existing = await rotations.findRotation(this.d.pool, id);
    if (!existing) return notFound("Secret rotation", id);
    return new AppError("Conflict", `Secret rotation ${existing.name} is busy with another operation; retry in a few seconds`);
  }

  private lease(id: string, token: string, acquiredAt: number): Lease {
    return new Lease({ pool: this.d.pool, logger: this.d.logger, leaseMs: this.leaseMs }, id, token, acquiredAt);
  }

  /**
   * Runs `fn` while keeping the lease (renewed every third of its length), then gives it back unless a write of
   * `fn` already did. A simulated crash leaves it as a dead process would: held until it runs out.
   */
  private async holding<T>(lease: Lease, fn: () => Promise<T>): Promise<T> {
    lease.keep();
    let crashed = false;
    try {
      return await fn();
    } catch (err) {
      crashed = err instanceof SimulatedCrash;
      if (isLeaseLost(err)) this.d.logger.warn({ rotationId: lease.rotationId }, "lost a rotation's lease mid-work: stopped without touching the target again; the runner holding it now finishes it");
      throw err;
    } finally {
      if (crashed) await lease.stop();
      else await lease.end();
    }
  }

  /**
   * A write under the lease computed from the rotation's current row: when the row changed since it was read (a
   * PATCH landed meanwhile), it is read again under the lease and the write computed again; LeaseLost when the
   * lease is gone.
   */
  private async writeLeased(run: Run, change: (r: RotationRecord) => leased.LeasedChange): Promise<RotationRecord> {
    for (let attempt = 1; ; attempt++) {
      const c = change(run.r);
      const row = await leased.writeLeased(this.d.pool, run.lease, run.seen, c);
      if (row) {
        if (c.release) run.lease.released = true;
        return row;
      }
      const current = await leased.leasedRow(this.d.pool, run.lease);
      if (!current) throw this.lost(run.lease);
      if (attempt >= 5) throw new AppError("Conflict", `Secret rotation ${run.r.name} kept changing while its rotation was being recorded; retry`);
      run.r = current.rotation;
      run.seen = current.seen;
    }
  }

  /** The lease is gone: remember it (no more target work, no more writes) and say so. */
  private lost(lease: Lease): AppError {
    lease.markLost();
    return leaseLost("Secret rotation", lease.rotationId);
  }

  /** A new intent for the inactive user: a fresh password, and the intent row holding it sealed (stored by the caller). */
  private newIntent(r: RotationRecord, targetIndex: 0 | 1, trigger: Trigger): { password: string; intent: rotations.NewIntent } {
    const password = this.newPassword(r.passwordRequirements ?? undefined);
    return {
      password,
      intent: {
        rotationId: r.id,
        targetIndex,
        kind: "rotate",
        passwordSealed: this.d.sealer.seal(password, aad.intent(r.id, targetIndex)),
        jobId: newId(),
        trigger,
      },
    };
  }

  private openIntent(i: IntentRecord): string {
    const password = this.d.sealer.open(i.passwordSealed, aad.intent(i.rotationId, i.targetIndex));
    this.d.scrubber.remember(password);
    return password;
  }

  private newPassword(req?: PasswordRequirements): string {
    const password = generatePassword(req);
    this.d.scrubber.remember(password);
    return password;
  }

  /** Learns (and stores) the server a connection stored before servers were recorded reaches. */
  private async recordServer(connectionId: string, target: TargetConnection): Promise<string> {
    const serverId = await this.d.strategy.identify(target);
    await setServerId(this.d.pool, connectionId, serverId);
    return serverId;
  }

  /** The rotation's target as its connection role, the password opened in memory only. */
  private async target(connectionId: string): Promise<TargetConnection> {
    const conn = await findConnection(this.d.pool, connectionId);
    if (!conn) throw notFound("App connection", connectionId); // a rotation's connection cannot be deleted: a store fault
    return this.openTarget(conn);
  }

  private openTarget(conn: ConnectionRecord): TargetConnection {
    return openTarget(conn, this.d.sealer, this.d.scrubber);
  }

  private spec(r: RotationRecord) {
    return { rotationInterval: r.rotationInterval, rotateAt: r.rotateAt, timeZone: r.timeZone };
  }

  /** The next scheduled time: the schedule's, moved into the rotation's window (window.ts). */
  private nextAt(r: RotationRecord, from: Date, manual: boolean): Date | null {
    if (!r.isAutoRotationEnabled) return null;
    return windowed(nextRotationAt(this.spec(r), from, { manual }), r.rotationWindow, r.timeZone);
  }

  /** A retry (or the next try after giving up) planned inside the rotation's window. */
  private inWindow(r: RotationRecord, plan: FailurePlan): FailurePlan {
    return { ...plan, nextAttemptAt: windowed(plan.nextAttemptAt, r.rotationWindow, r.timeZone) };
  }

  private async mustFind(id: string): Promise<RotationRecord> {
    const r = await rotations.findRotation(this.d.pool, id);
    if (!r) throw notFound("Secret rotation", id);
    return r;
  }

  private async assertNameFree(q: Pool, f: { projectId: string; environment: string; secretPath: string; name: string }): Promise<void> {
    if (await rotations.findRotationByName(q, f)) {
      throw new AppError("Conflict", `A secret rotation named ${JSON.stringify(f.name)} already exists in ${folderLabel(f)}`);
    }
  }

  async assertKeysFree(q: Pool | PoolClient, f: { projectId: string; environment: string; secretPath: string }, keys: string[], exceptRotationId?: string): Promise<void> {
    const taken = await secrets.takenKeys(q, f, keys, exceptRotationId);
    if (taken.length) {
      throw new AppError("Conflict", `Secret ${taken.map((k) => JSON.stringify(k)).join(" and ")} already exists in ${folderLabel(f)}`, {
        details: { taken },
      });
    }
  }

  private conflictOr(err: unknown, message: string): unknown {
    return sqlState(err) === UNIQUE_VIOLATION ? new AppError("Conflict", message, { cause: err }) : err;
  }

  /** The error a caller sees: our own errors as they are, anything else redacted and capped. */
  private failure(err: unknown, doing: string): AppError {
    const e = coerceError(err);
    const base = e instanceof AppError ? e : new AppError("RotationFailed", `Failed while ${doing}: ${e.message}`, { cause: e });
    const message = this.d.scrubber.scrub(base.message).slice(0, MAX_MESSAGE_CHARS);
    return message === base.message ? base : new AppError(base.code, message, { details: base.details, cause: base.cause });
  }
}


/**
 * Where a rotation that waits for its window or a freeze moves its next time (undefined: it stays). A scheduled run
 * waits for the opening (a freeze keeps its time: unfreezing finds it overdue and runs it at once). A drift repair's
 * rotation is due as soon as allowed: at the opening, or now while frozen (overdue once unfrozen), never later
 * than the time already planned.
 */
function waitingTime(r: RotationRecord, d: Extract<Decision, { do: "wait-freeze" | "wait-window" }>, trigger: Trigger, now: Date): Date | null | undefined {
  if (trigger === "scheduled") return d.do === "wait-window" ? d.until : undefined;
  if (trigger !== "drift" || !r.isAutoRotationEnabled) return undefined;
  const soonest = d.do === "wait-window" ? d.until : now;
  if (!soonest || (r.nextRotationAt && r.nextRotationAt <= soonest)) return undefined;
  return soonest;
}

/** The decisions after which a rotate call gives its claim back and touches nothing (a manual one was refused before). */
function waits(d: Decision): d is Extract<Decision, { do: "nothing" | "wait-grace" | "hold" | "wait-freeze" | "wait-window" }> {
  return d.do === "nothing" || d.do === "wait-grace" || d.do === "hold" || d.do === "wait-freeze" || d.do === "wait-window";
}
