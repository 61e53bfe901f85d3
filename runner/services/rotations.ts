import type { Pool } from "pg";
import { AppError, notFound } from "../errors";
import { folderLabel, type RotationEngine } from "../rotation/engine";
import { nextRotationAt } from "../rotation/schedule";
import { sqlState, UNIQUE_VIOLATION } from "../sqlstate";
import { withTransaction } from "../store/db";
import * as rotations from "../store/rotations";
import type { ManagedBy, RotationRecord } from "../store/rows";
import * as secrets from "../store/secrets";
import type { UpdateRotationInput } from "../schemas";

/** Reads and in-place updates of rotations; everything that touches the target lives in the engine. */
export class RotationService {
  constructor(private readonly d: { pool: Pool; engine: RotationEngine; clock: () => Date; secretsChanged?: (f: RotationRecord) => void }) {}

  async get(id: string): Promise<RotationRecord> {
    const r = await rotations.findRotation(this.d.pool, id);
    if (!r) throw notFound("Secret rotation", id);
    return r;
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

  list(projectId?: string): Promise<RotationRecord[]> {
    return rotations.listRotations(this.d.pool, projectId);
  }

  /**
   * Name, description, schedule, password requirements and secret names; the schedule is recomputed. An IaC
   * tool's update (meta.managedBy) marks the rotation as managed by it; anyone else's keeps the mark.
   */
  async update(id: string, patch: UpdateRotationInput, meta: { managedBy?: ManagedBy } = {}): Promise<RotationRecord> {
    try {
      await withTransaction(this.d.pool, async (c) => {
        const r = await rotations.lockRotation(c, id);
        if (!r) throw notFound("Secret rotation", id);
        const set: Record<string, unknown> = {};
        if (patch.name !== undefined && patch.name !== r.name) {
          if (await rotations.findRotationByName(c, { ...r, name: patch.name })) {
            throw new AppError("Conflict", `A secret rotation named ${JSON.stringify(patch.name)} already exists in ${folderLabel(r)}`);
          }
          set.name = patch.name;
        }
        if (patch.description !== undefined) set.description = patch.description;
        if (meta.managedBy) set.managed_by = meta.managedBy;
        if (patch.parameters?.passwordRequirements !== undefined) {
          set.password_requirements = patch.parameters.passwordRequirements === null ? null : JSON.stringify(patch.parameters.passwordRequirements);
        }
        if (patch.secretsMapping) await this.renameSecrets(c, r, patch.secretsMapping, set);

        const schedule = {
          isAutoRotationEnabled: patch.isAutoRotationEnabled ?? r.isAutoRotationEnabled,
          rotationInterval: patch.rotationInterval ?? r.rotationInterval,
          rotateAt: patch.rotateAtUtc ?? patch.rotateAt ?? r.rotateAt,
          timeZone: patch.rotateAtUtc ? "UTC" : (patch.timeZone ?? r.timeZone),
          usesUtc: patch.rotateAtUtc ? true : patch.timeZone ? false : r.usesUtc,
        };
        Object.assign(set, {
          is_auto_rotation_enabled: schedule.isAutoRotationEnabled,
          rotation_interval: schedule.rotationInterval,
          rotate_at_hours: schedule.rotateAt.hours,
          rotate_at_minutes: schedule.rotateAt.minutes,
          time_zone: schedule.timeZone,
          uses_utc: schedule.usesUtc,
          next_rotation_at:
            schedule.isAutoRotationEnabled && r.rotationStatus !== "pending"
              ? nextRotationAt(schedule, r.lastRotatedAt ?? r.createdAt, { manual: r.isLastRotationManual })
              : null,
        });
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

  private async renameSecrets(
    c: import("pg").PoolClient,
    r: RotationRecord,
    mapping: { username: string; password: string },
    set: Record<string, unknown>,
  ): Promise<void> {
    const renames: Array<[string, string]> = [
      [r.secretKeyUsername, mapping.username],
      [r.secretKeyPassword, mapping.password],
    ];
    const changed = renames.filter(([from, to]) => from !== to);
    if (!changed.length) return;
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
    set.secret_key_username = mapping.username;
    set.secret_key_password = mapping.password;
  }
}
