/**
 * The rotation state machine, top to bottom (DESIGN.md "Rotation semantics").
 *
 *   create:  validate -> precheck target -> [store: rotation 'pending' + two intents, lease] ->
 *            set + verify user1, set + verify user2 -> [store: both credentials, secrets = user1, 'success']
 *   rotate:  [store: lease] -> decide (decide.ts: finish a create, roll an intent forward, start fresh, nothing,
 *            or wait for the grace guard) -> [store: intent for the inactive user] -> ALTER ROLE (verifier) ->
 *            login with the new password -> [store: credential, flip activeIndex, secrets, times, drop intent]
 *   recover: every intent left by a dead runner is rolled forward with its own password.
 *
 * Brackets are store transactions. At every instant each user's stored password, or its intent password,
 * logs in; the mapped secrets always hold a pair that logs in.
 */
import type { Pool, PoolClient } from "pg";
import { aad, type Sealer } from "../crypto/seal";
import { generatePassword, type PasswordRequirements } from "../crypto/passwords";
import { AppError, coerceError, folderLabel, notFound } from "../errors";
import { newId } from "../ids";
import type { Logger, Scrubber } from "../logger";
import type { PostgresStrategy } from "../postgres/strategy";
import { openTarget, type TargetConnection } from "../postgres/target";
import { sqlState, UNIQUE_VIOLATION } from "../sqlstate";
import { withTransaction } from "../store/db";
import { findConnection, setServerId } from "../store/connections";
import * as rotations from "../store/rotations";
import { type ConnectionRecord, type IntentRecord, type ManagedBy, type RotationRecord } from "../store/rows";
import * as secrets from "../store/secrets";
import type { CreateRotationInput } from "../schemas";
import { type Decision, decide, type Trigger } from "./decide";
import { fault, type FaultHooks, SimulatedCrash } from "./faults";
import { assertNotConnectionRole, assertUsersFree } from "./ownership";
import { LATE_RUN_MS, planAfterFailure } from "./retry";
import { nextRotationAt } from "./schedule";

/** How long a runner owns a rotation it works on; an expired lease marks a runner that died. */
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
  /** A folder's mapped secrets changed in a commit of this runner (local cache invalidation). */
  secretsChanged?: (folder: { projectId: string; environment: string; secretPath: string }) => void;
}

interface Run {
  r: RotationRecord;
  trigger: Trigger;
  started: Date;
}

export interface RotationEvent {
  type: "rotation.succeeded" | "rotation.failed";
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

  /** `managedBy`: the IaC tool that sent the request (X-Pgrotate-Managed-By), recorded on the rotation. */
  async create(input: CreateRotationInput, meta: { managedBy?: ManagedBy } = {}): Promise<RotationRecord> {
    const { pool } = this.d;
    const connection = await findConnection(pool, input.connectionId);
    if (!connection) throw notFound("App connection", input.connectionId);
    const folder = { projectId: input.projectId, environment: input.environment, secretPath: input.secretPath };
    await this.assertNameFree(pool, { ...folder, name: input.name });
    await this.assertKeysFree(pool, folder, [input.secretsMapping.username, input.secretsMapping.password]);

    const usernames = [input.parameters.username1, input.parameters.username2];
    assertNotConnectionRole(connection, usernames);
    const target = this.openTarget(connection);
    const serverId = connection.serverId ?? (await this.recordServer(connection.id, target));
    const owners = { serverId, connectionIds: [connection.id], usernames };
    await assertUsersFree(pool, owners);
    await this.d.strategy.precheck(target, usernames);

    const id = newId();
    const jobId = newId();
    const now = this.d.clock();
    const zoned = input.rotateAt !== undefined;
    const requirements = input.parameters.passwordRequirements;
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
        leaseUntil: new Date(now.getTime() + this.leaseMs),
        createdAt: now,
        managedBy: meta.managedBy ?? null,
      });
      for (const idx of [0, 1] as const) {
        const password = this.newPassword(requirements);
        await rotations.insertIntent(c, {
          rotationId: id,
          targetIndex: idx,
          kind: "create",
          passwordSealed: this.d.sealer.seal(password, aad.intent(id, idx)),
          jobId,
          trigger: "create",
        });
      }
    }).catch((err) => {
      throw this.conflictOr(err, `A rotation or secret with these names already exists in ${folderLabel(folder)}`);
    });
    await fault(this.d.faults, "afterIntent", id, 0);

    try {
      return await this.finishCreate(id, target);
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err;
      throw await this.abandonCreate(id, input.name, err);
    }
  }

  /**
   * A create failed after its intents were stored: nothing half-made may stay behind while the caller is told
   * it failed. The rotation and its intents are removed and the caller gets the failure. When even that removal
   * fails (the store went away), the caller is told the truth instead: the rotation stays pending with its two
   * stored passwords, and recovery finishes it once the store and the target answer (nothing is lost).
   */
  private async abandonCreate(id: string, name: string, err: unknown): Promise<AppError> {
    const failure = this.failure(err, "creating the rotation");
    try {
      await fault(this.d.faults, "createCleanup", id, 0);
      await rotations.deleteRotation(this.d.pool, id);
      return failure;
    } catch (cleanupErr) {
      this.d.logger.error({ rotationId: id, err: cleanupErr }, "a failed create could not be removed; recovery will finish it");
      return new AppError(
        "StoreUnavailable",
        `${failure.message}. The half-made rotation ${JSON.stringify(name)} could not be removed because the store did not answer, so it ` +
          "stays pending with the two passwords it stored, and pgrotate finishes creating it once the store and the target answer " +
          "(GET the rotation by name to see it).",
        { details: { rotationId: id, pendingCompletion: true }, cause: failure },
      );
    }
  }

  /** Sets and proves both intent passwords, then stores both credentials and the secrets in one commit. */
  private async finishCreate(id: string, target: TargetConnection): Promise<RotationRecord> {
    const r = await this.mustFind(id);
    const intents = await rotations.intentsOf(this.d.pool, id);
    const users = [r.username1, r.username2];
    const passwords = intents.map((i) => this.openIntent(i));
    for (const i of intents) {
      await this.d.strategy.setPassword(target, users[i.targetIndex], passwords[i.targetIndex]);
      await fault(this.d.faults, "afterAlter", id, i.targetIndex);
      await this.d.strategy.verifyLogin(target, users[i.targetIndex], passwords[i.targetIndex]);
      await fault(this.d.faults, "afterVerify", id, i.targetIndex);
    }
    const now = this.d.clock();
    await withTransaction(this.d.pool, async (c) => {
      for (const i of intents) {
        await rotations.upsertCredential(c, id, i.targetIndex, users[i.targetIndex], this.d.sealer.seal(passwords[i.targetIndex], aad.credential(id, i.targetIndex)));
      }
      const folder = { projectId: r.projectId, environment: r.environment, secretPath: r.secretPath };
      for (const [key, value] of [[r.secretKeyUsername, users[0]], [r.secretKeyPassword, passwords[0]]]) {
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
        lastRotationJobId: intents[0]?.jobId ?? null,
        lastRotationMessage: null,
        isLastRotationManual: true,
        nextRotationAt: this.nextAt(r, now, true),
        retryAttempt: 0,
        leaseOwner: null,
        leaseUntil: null,
      });
      await rotations.insertHistory(c, {
        rotationId: id, jobId: intents[0]?.jobId ?? null, attempt: r.retryAttempt + 1, trigger: "create", result: "success", targetIndex: null,
        runnerId: this.d.runnerId, startedAt: r.createdAt, finishedAt: now, message: null, nextAttemptAt: null,
      });
      await rotations.deleteIntents(c, id);
    }).catch((err) => {
      throw this.conflictOr(err, `A secret named ${r.secretKeyUsername} or ${r.secretKeyPassword} already exists in ${folderLabel(r)}`);
    });
    this.d.secretsChanged?.(r);
    this.d.logger.info({ rotationId: id, name: r.name }, "rotation created; both users' passwords set and verified");
    return this.mustFind(id);
  }

  // ---------------------------------------------------------------- rotate

  async rotate(
    id: string,
    opts: { trigger: Exclude<Trigger, "create">; force?: boolean; reclaimOwnLease?: boolean; leased?: RotationRecord },
  ): Promise<RotationRecord> {
    const started = this.d.clock();
    // Store work before the target is touched, each one autocommitted statement: the lease (unless the
    // scheduler's claim handed it over), then one statement after it (so it sees the last holder's commit)
    // that reads the intents, connection and mapped secrets and, when none is left over, stores the new intent.
    const r = opts.leased ?? (await this.takeLease(id, started, opts.reclaimOwnLease === true));
    const run = { r, trigger: opts.trigger, started };
    const facts = { trigger: opts.trigger, force: opts.force === true, now: started, rotation: r };
    // What to do when nothing is left over; the fresh intent (if any) is stored only in that case.
    const ifNoneLeft = decide({ ...facts, leftovers: [] });
    const fresh = ifNoneLeft.do === "start-fresh" ? this.newIntent(r, ifNoneLeft.targetIndex, opts.trigger) : undefined;
    // Its verifier is computed off the event loop while the intent is being stored.
    const prepared = fresh && this.d.strategy.prepare(fresh.password);
    let work: rotations.RotationWork;
    let decision: Decision;
    let intent: IntentRecord | undefined;
    try {
      work = await rotations.rotationWork(this.d.pool, { rotationId: id, connectionId: r.connectionId, insert: fresh?.intent });
      decision = work.intents.length ? decide({ ...facts, leftovers: work.intents }) : ifNoneLeft;
      intent = await this.intentFor(r, decision, work, fresh?.intent, opts.trigger);
    } catch (err) {
      // Nothing was attempted on the target (store error): give the lease back at once.
      await this.releaseLease(id);
      throw err;
    }
    if (decision.do === "nothing") {
      await this.releaseLease(id);
      return { ...r, leaseOwner: null, leaseUntil: null };
    }
    if (decision.do === "wait-grace") return this.waitForGrace(run, decision);
    if (decision.do === "finish-create") {
      // A create that a crash (or a failed earlier attempt) interrupted: finish it with its own two passwords.
      const target = this.openTarget(this.mustHave(work.connection, r.connectionId));
      return this.finishCreate(id, target).catch((err) => this.fail(run, err, "finishing the interrupted create"));
    }
    if (!intent) throw new Error(`rotation ${id}: no intent for ${decision.do}`);
    await fault(this.d.faults, "afterIntent", id, intent.targetIndex);

    const username = intent.targetIndex === 0 ? r.username1 : r.username2;
    const password = this.openIntent(intent);
    let done: RotationRecord;
    try {
      const target = this.openTarget(this.mustHave(work.connection, r.connectionId));
      await this.d.strategy.setPassword(target, username, work.inserted && prepared ? prepared : password); // the fresh intent's verifier is ready
      await fault(this.d.faults, "afterAlter", id, intent.targetIndex);
      await this.d.strategy.verifyLogin(target, username, password);
      await fault(this.d.faults, "afterVerify", id, intent.targetIndex);
      done = await this.commitRotation(run, intent, work, username, password);
    } catch (err) {
      return this.fail(run, err, `rotating ${JSON.stringify(username)}`, intent);
    }
    const ms = this.d.clock().getTime() - started.getTime();
    this.d.logger.info({ rotationId: id, name: r.name, activeIndex: done.activeIndex, trigger: opts.trigger, ms }, "rotation succeeded");
    this.d.onEvent?.(rotationEvent("rotation.succeeded", done, run, this.d.clock(), { attempt: r.retryAttempt + 1 }));
    return done;
  }

  /** The intent a decision works on: the fresh one just stored, or the leftover (renewed when worn out). */
  private async intentFor(r: RotationRecord, decision: Decision, work: rotations.RotationWork, fresh: rotations.NewIntent | undefined, trigger: Trigger): Promise<IntentRecord | undefined> {
    if (decision.do === "start-fresh") {
      if (!work.inserted || !fresh) throw new Error("the new intent was not stored");
      return { ...fresh, attempts: 0, createdAt: this.d.clock() };
    }
    if (decision.do !== "roll-forward") return undefined;
    const leftover = work.intents[0];
    if (!decision.renew) return leftover;
    const { intent } = this.newIntent(r, leftover.targetIndex, trigger);
    await rotations.insertIntent(this.d.pool, intent, { replace: true });
    return { ...intent, attempts: 0, createdAt: this.d.clock() };
  }

  /**
   * The grace guard (a consumer may still hold the password this rotation would change): a manual call is refused
   * with 409 naming when it is allowed; a scheduled run moves its time to that moment and gives the lease back.
   */
  private async waitForGrace(run: Run, d: Extract<Decision, { do: "wait-grace" }>): Promise<RotationRecord> {
    const { r, trigger } = run;
    if (trigger === "scheduled") {
      await rotations.updateRotation(this.d.pool, r.id, { nextRotationAt: d.allowedAt, leaseOwner: null, leaseUntil: null });
      this.d.logger.info({ rotationId: r.id, allowedAt: d.allowedAt }, "scheduled rotation waits for the grace period");
      return { ...r, nextRotationAt: d.allowedAt, leaseOwner: null, leaseUntil: null };
    }
    await this.releaseLease(r.id);
    const inactive = d.inactiveIndex === 0 ? r.username1 : r.username2;
    throw new AppError(
      "GracePeriod",
      `Rotating now would change the password of ${JSON.stringify(inactive)}, which stopped being active at ` +
        `${r.inactiveSince?.toISOString()}; consumers may still hold it. Allowed from ${d.allowedAt.toISOString()}, or retry with ?force=true`,
      { details: { reason: "grace-period", allowedAt: d.allowedAt.toISOString() } },
    );
  }

  /**
   * The commit, one statement (so one transaction): credential, flip, secrets, times, status and history;
   * the intent goes. The secrets are the ones read under this lease, by id (a rename keeps the id).
   */
  private async commitRotation(run: Run, intent: IntentRecord, work: rotations.RotationWork, username: string, password: string): Promise<RotationRecord> {
    const { r, trigger } = run;
    const now = this.d.clock();
    // A full interval always passes: after a manual rotation past the time of day, and after a late catch-up run.
    const late = !r.nextRotationAt || now.getTime() - r.nextRotationAt.getTime() > LATE_RUN_MS;
    const fullInterval = trigger === "manual" || late;
    const { sealer } = this.d;
    const mapped = [
      ...work.secretIds.username.map((id) => ({ id, value: username })),
      ...work.secretIds.password.map((id) => ({ id, value: password })),
    ];
    await fault(this.d.faults, "insideCommit", r.id, intent.targetIndex);
    const row = await rotations.commitRotationRow(this.d.pool, {
      rotationId: r.id,
      targetIndex: intent.targetIndex,
      username,
      credentialSealed: sealer.seal(password, aad.credential(r.id, intent.targetIndex)),
      secretIds: mapped.map((x) => x.id),
      secretValues: mapped.map((x) => sealer.seal(x.value, aad.secret(x.id))),
      set: {
        activeIndex: intent.targetIndex,
        inactiveSince: now,
        rotationStatus: "success",
        lastRotatedAt: now,
        lastRotationAttemptedAt: now,
        lastRotationJobId: intent.jobId,
        lastRotationMessage: null,
        isLastRotationManual: trigger === "manual",
        nextRotationAt: this.nextAt(r, now, fullInterval),
        retryAttempt: 0,
        leaseOwner: null,
        leaseUntil: null,
      },
      history: this.history(run, "success", now, { jobId: intent.jobId, targetIndex: intent.targetIndex }),
    });
    this.d.secretsChanged?.(r);
    return row;
  }

  /**
   * Records a failed attempt (the intent stays for the next one) and answers with a redacted error.
   * Manual: status "failed" at once, the schedule is untouched. Automatic: retry with backoff, and after
   * MAX_ATTEMPTS "failed" until the next scheduled time. The active credentials are never touched.
   */
  private async fail(run: Run, err: unknown, doing: string, intent?: IntentRecord): Promise<never> {
    if (err instanceof SimulatedCrash) throw err;
    const { r, trigger } = run;
    const appErr = this.failure(err, doing);
    const now = this.d.clock();
    const attempt = r.retryAttempt + 1;
    const automatic = trigger !== "manual";
    const plan = automatic
      ? planAfterFailure({ ...this.spec(r), enabled: r.isAutoRotationEnabled }, attempt, now, this.d.random)
      : { status: "failed" as const, retryAttempt: r.retryAttempt, nextAttemptAt: r.nextRotationAt };
    await withTransaction(this.d.pool, async (c) => {
      if (intent) await rotations.countIntentAttempt(c, r.id, intent.targetIndex);
      await rotations.updateRotation(c, r.id, {
        rotationStatus: plan.status === "failed" ? "failed" : undefined,
        retryAttempt: plan.retryAttempt,
        nextRotationAt: plan.nextAttemptAt,
        lastRotationAttemptedAt: now,
        lastRotationMessage: appErr.message,
        leaseOwner: null,
        leaseUntil: null,
      });
      await rotations.insertHistory(c, this.history(run, "failed", now, {
        jobId: intent?.jobId ?? null, targetIndex: intent?.targetIndex ?? null, message: appErr.message, nextAttemptAt: plan.nextAttemptAt, attempt,
      }));
    }).catch((storeErr) => this.d.logger.error({ rotationId: r.id, err: storeErr }, "could not record a failed rotation"));
    this.d.logger.warn(
      { rotationId: r.id, name: r.name, trigger, attempt, reason: appErr.message, nextAttemptAt: plan.nextAttemptAt },
      plan.status === "retrying" ? "rotation failed; will retry; active credentials untouched" : "rotation failed; active credentials untouched",
    );
    this.d.onEvent?.(rotationEvent("rotation.failed", r, run, now, { attempt, message: appErr.message, nextAttemptAt: plan.nextAttemptAt }));
    throw appErr;
  }

  private history(run: Run, result: "success" | "failed", now: Date, x: { jobId: string | null; targetIndex: number | null; message?: string; nextAttemptAt?: Date | null; attempt?: number }): rotations.HistoryEntry {
    return {
      rotationId: run.r.id,
      jobId: x.jobId,
      attempt: x.attempt ?? run.r.retryAttempt + 1,
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
   * Rolls forward every intent whose runner is gone: any whose lease expired or was released, and at
   * start also those leased to this runner id in its previous life. Returns how many were finished.
   */
  async recover(opts: { atStart: boolean }): Promise<number> {
    const now = this.d.clock();
    // A previous life of this runner that died between a lease and its intent left a lease with nothing to
    // roll forward: give those back at once instead of blocking the rotation until the lease expires.
    if (opts.atStart) await rotations.releaseIdleLeases(this.d.pool, this.d.runnerId);
    const ids = await rotations.rotationsWithOrphanIntents(this.d.pool, now, opts.atStart ? this.d.runnerId : undefined);
    let finished = 0;
    for (const id of ids) {
      try {
        await this.rotate(id, { trigger: "recovery", reclaimOwnLease: opts.atStart });
        finished++;
      } catch (err) {
        this.d.logger.warn({ rotationId: id, err }, "could not roll an interrupted rotation forward; will retry");
      }
    }
    return finished;
  }

  // ---------------------------------------------------------------- delete

  async delete(id: string, opts: { revokeGeneratedCredentials: boolean; deleteSecrets: boolean }): Promise<RotationRecord> {
    const now = this.d.clock();
    const r = await this.takeLease(id, now, false);
    try {
      if (opts.revokeGeneratedCredentials) {
        const creds = await this.credentials(id);
        await this.d.strategy.revoke(await this.target(r.connectionId), creds.map((x) => ({ username: x.username, oldPassword: x.password })));
      }
      await withTransaction(this.d.pool, async (c) => {
        if (opts.deleteSecrets) await secrets.deleteSecretsOfRotation(c, id);
        await rotations.deleteRotation(c, id);
      });
    } catch (err) {
      await this.releaseLease(id);
      throw this.failure(err, "deleting the rotation");
    }
    this.d.secretsChanged?.(r);
    this.d.logger.info({ rotationId: id, name: r.name, ...opts }, "rotation deleted");
    return r;
  }

  // ---------------------------------------------------------------- reads

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

  /** Takes the rotation's lease (one statement); a live lease of another runner means it is busy. */
  private async takeLease(id: string, now: Date, reclaimOwn: boolean): Promise<RotationRecord> {
    const until = new Date(now.getTime() + this.leaseMs);
    const r = await rotations.leaseRotation(this.d.pool, { id, owner: this.d.runnerId, now, until, reclaimOwn });
    if (r) return r;
    const existing = await rotations.findRotation(this.d.pool, id);
    if (!existing) throw notFound("Secret rotation", id);
    throw new AppError("Conflict", `Secret rotation ${existing.name} is busy with another operation; retry in a few seconds`);
  }

  /** Gives the lease back; if the store does not answer, the lease simply expires (logged, never thrown). */
  private async releaseLease(id: string): Promise<void> {
    try {
      await rotations.releaseLease(this.d.pool, id, this.d.runnerId);
    } catch (err) {
      this.d.logger.warn({ rotationId: id, err }, "could not give a rotation's lease back; it expires by itself");
    }
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

  /** The connection a rotation uses; a rotation's connection cannot be deleted, so missing means a store fault. */
  private mustHave(conn: ConnectionRecord | undefined, connectionId: string): ConnectionRecord {
    if (!conn) throw notFound("App connection", connectionId);
    return conn;
  }

  /** The rotation's target as its connection role, the password opened in memory only. */
  private async target(connectionId: string): Promise<TargetConnection> {
    return this.openTarget(this.mustHave(await findConnection(this.d.pool, connectionId), connectionId));
  }

  private openTarget(conn: ConnectionRecord): TargetConnection {
    return openTarget(conn, this.d.sealer, this.d.scrubber);
  }

  private spec(r: RotationRecord) {
    return { rotationInterval: r.rotationInterval, rotateAt: r.rotateAt, timeZone: r.timeZone };
  }

  private nextAt(r: RotationRecord, from: Date, manual: boolean): Date | null {
    if (!r.isAutoRotationEnabled) return null;
    return nextRotationAt(this.spec(r), from, { manual });
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

