import type { Pool, PoolClient } from "pg";
import { AppError, folderLabel, notFound } from "../errors";
import type { RotationEngine } from "../rotation/engine";
import { nextRotationAt } from "../rotation/schedule";
import { type RotationWindow, windowed } from "../rotation/window";
import { sqlState, UNIQUE_VIOLATION } from "../sqlstate";
import { withTransaction } from "../store/db";
import * as rotations from "../store/rotations";
import type { ManagedBy, RotationRecord } from "../store/rows";
import * as secrets from "../store/secrets";
import type { UpdateRotationInput } from "../schemas";

type Folder = Pick<RotationRecord, "projectId" | "environment" | "secretPath">;

/** Reads and in-place updates of rotations; everything that touches the target lives in the engine. */
export class RotationService {
  /**
   * Each rotation's folder, for authorization. A rotation's project, environment and path never change, so
   * once read it is known for good (a rotation deleted elsewhere answers 404 at the work itself).
   */
  private readonly folders = new Map<string, Folder>();

  constructor(private readonly d: { pool: Pool; engine: RotationEngine; clock: () => Date; secretsChanged?: (f: RotationRecord) => void }) {}

  async get(id: string): Promise<RotationRecord> {
    const r = await rotations.findRotation(this.d.pool, id);
    if (!r) throw notFound("Secret rotation", id);
    this.remember(r);
    return r;
  }

  /** The folder of a rotation (what its authorization needs), without a store read once known. */
  async folderOf(id: string): Promise<Folder> {
    return this.folders.get(id) ?? (await this.get(id));
  }

  remember(r: RotationRecord): void {
    if (this.folders.size >= 100_000) this.folders.clear();
    this.folders.set(r.id, { projectId: r.projectId, environment: r.environment, secretPath: r.secretPath });
  }

  forget(id: string): void {
    this.folders.delete(id);
  }

  async getByName(f: { projectId: string; environment: string; secretPath: string; name: string }): Promise<RotationRecord> {
    const r = await rotations.findRotationByName(this.d.pool, f);
    if (!r) throw new AppError("NotFound", `No secret rotation named ${JSON.stringify(f.name)} in ${folderLabel(f)}`);
    return r;
  }

  /** Every attempt, newest first. */
  history(id: string): Promise<rotations.HistoryRecord[]> {
    return rotations.historyOf(this.d.pool, id);
  }

  /** The rotations a list asks for (filters, scope, order, page) and how many match in all. */
  list(l: rotations.RotationListQuery): Promise<{ rotations: RotationRecord[]; totalCount: number }> {
    return rotations.listRotations(this.d.pool, l);
  }

  /**
   * Name, description, schedule, password requirements and secret names. `nextRotationAt` is recomputed only
   * when the schedule itself changes (interval, time of day, zone, auto-rotation): a PATCH that repeats it —
   * as every `pulumi up` / `terraform apply` does — keeps a planned retry or the next scheduled time. An IaC
   * tool's update (meta.managedBy) marks the rotation as managed by it; anyone else's keeps the mark.
   */
  async update(id: string, patch: UpdateRotationInput, meta: { managedBy?: ManagedBy } = {}): Promise<RotationRecord> {
    try {
      await withTransaction(this.d.pool, async (c) => {
        const r = await rotations.lockRotation(c, id);
        if (!r) throw notFound("Secret rotation", id);
        const set: rotations.RotationPatch = {};
        if (patch.name !== undefined && patch.name !== r.name) {
          if (await rotations.findRotationByName(c, { ...r, name: patch.name })) {
            throw new AppError("Conflict", `A secret rotation named ${JSON.stringify(patch.name)} already exists in ${folderLabel(r)}`);
          }
          set.name = patch.name;
        }
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.driftRepair !== undefined) set.driftRepair = patch.driftRepair;
        if (patch.maxHoldHours !== undefined) set.maxHoldHours = patch.maxHoldHours;
        if (meta.managedBy) set.managedBy = meta.managedBy;
        if (patch.parameters?.passwordRequirements !== undefined) set.passwordRequirements = patch.parameters.passwordRequirements;
        if (patch.secretsMapping) Object.assign(set, await this.renameSecrets(c, r, patch.secretsMapping));
        Object.assign(set, scheduleChange(r, patch));
        // A held rotation whose auto-rotation is switched off waits for nothing any more: the hold ends.
        if (r.rotationStatus === "held" && set.isAutoRotationEnabled === false) Object.assign(set, { rotationStatus: "success", heldSince: null, heldBy: null });
        await rotations.updateRotation(c, id, set);
      });
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw new AppError("Conflict", "A rotation or secret with that name already exists here", { cause: err });
      throw err;
    }
    const updated = await this.get(id);
    if (patch.secretsMapping) this.d.secretsChanged?.(updated);
    return updated;
  }

  /** Renames the mapped secrets (ids stay); returns the row's new secret names, or nothing when unchanged. */
  private async renameSecrets(c: PoolClient, r: RotationRecord, mapping: { username: string; password: string }): Promise<rotations.RotationPatch> {
    const renames: Array<[string, string]> = [
      [r.secretKeyUsername, mapping.username],
      [r.secretKeyPassword, mapping.password],
    ];
    const changed = renames.filter(([from, to]) => from !== to);
    if (!changed.length) return {};
    await this.d.engine.assertKeysFree(c, r, changed.map(([, to]) => to), r.id);
    const current = await secrets.secretsOfRotation(c, r.id);
    // Two steps so swapping the two names does not collide with the unique key.
    for (const [from] of changed) {
      const s = current.find((x) => x.key === from);
      if (s) await secrets.renameSecret(c, s.id, `${s.id}.renaming`);
    }
    for (const [from, to] of changed) {
      const s = current.find((x) => x.key === from);
      if (s) await secrets.renameSecret(c, s.id, to);
    }
    return { secretKeyUsername: mapping.username, secretKeyPassword: mapping.password };
  }
}

/**
 * The schedule fields a PATCH sets, and a new `nextRotationAt` only when the schedule or the rotation window
 * really changed (the schedule's next time moved into the window). A value equal to the stored one is no change, so
 * a planned retry (backoff) or the next try after "failed" stays.
 */
export function scheduleChange(r: RotationRecord, patch: UpdateRotationInput): rotations.RotationPatch {
  const schedule = {
    isAutoRotationEnabled: patch.isAutoRotationEnabled ?? r.isAutoRotationEnabled,
    rotationInterval: patch.rotationInterval ?? r.rotationInterval,
    rotateAt: patch.rotateAtUtc ?? patch.rotateAt ?? r.rotateAt,
    timeZone: patch.rotateAtUtc ? "UTC" : (patch.timeZone ?? r.timeZone),
  };
  const usesUtc = patch.rotateAtUtc ? true : patch.timeZone ? false : r.usesUtc;
  const window = patch.rotationWindow === undefined ? r.rotationWindow : patch.rotationWindow;
  const windowChanged = !sameWindow(window, r.rotationWindow);
  const changed =
    windowChanged ||
    schedule.isAutoRotationEnabled !== r.isAutoRotationEnabled ||
    schedule.rotationInterval !== r.rotationInterval ||
    schedule.rotateAt.hours !== r.rotateAt.hours ||
    schedule.rotateAt.minutes !== r.rotateAt.minutes ||
    schedule.timeZone !== r.timeZone;
  if (!changed) return usesUtc === r.usesUtc ? {} : { usesUtc };
  return {
    ...(windowChanged ? { rotationWindow: window } : {}),
    isAutoRotationEnabled: schedule.isAutoRotationEnabled,
    rotationInterval: schedule.rotationInterval,
    rotateAtHours: schedule.rotateAt.hours,
    rotateAtMinutes: schedule.rotateAt.minutes,
    timeZone: schedule.timeZone,
    usesUtc,
    nextRotationAt:
      schedule.isAutoRotationEnabled && r.rotationStatus !== "pending"
        ? windowed(nextRotationAt(schedule, r.lastRotatedAt ?? r.createdAt, { manual: r.isLastRotationManual }), window, schedule.timeZone)
        : null,
  };
}

/** Two windows are the same when every field is (weekdays and blackouts in the same order). */
function sameWindow(a: RotationWindow | null, b: RotationWindow | null): boolean {
  const canonical = (w: RotationWindow | null) =>
    w && JSON.stringify([w.weekdays, w.startTime, w.endTime, w.blackouts.map((x) => [x.from, x.to, x.reason ?? null])]);
  return canonical(a) === canonical(b);
}
