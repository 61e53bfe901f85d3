/**
 * Many configured rotations (none due) inserted straight into a store, with values sealed by the runner's own
 * Sealer so every row opens: for the scale benchmarks and the console's long lists. The target users do not
 * exist; nothing here is meant to rotate.
 */
import crypto from "node:crypto";
import type { Pool } from "pg";
import { aad, type Sealer } from "../../runner/crypto/seal";

const BATCH = 5_000;

/**
 * Rotations `<prefix>-<i>` for i in [from, to) in project `project` (environment `dev` and folder `/` unless given), each
 * with its two credentials and secrets.
 */
export async function insertRotations(
  db: Pool,
  sealer: Sealer,
  o: { connectionId: string; from: number; to: number; project: string; prefix?: string; environment?: string; secretPath?: string },
): Promise<void> {
  const prefix = o.prefix ?? o.project;
  const environment = o.environment ?? "dev";
  const secretPath = o.secretPath ?? "/";
  const upper = prefix.toUpperCase().replace(/-/g, "_");
  for (let start = o.from; start < o.to; start += BATCH) {
    const n = Math.min(BATCH, o.to - start);
    const ids: string[] = [], names: string[] = [], ku: string[] = [], kp: string[] = [], next: Date[] = [], u1: string[] = [], u2: string[] = [];
    const cRot: string[] = [], cIdx: number[] = [], cUser: string[] = [], cSealed: Buffer[] = [];
    const sId: string[] = [], sKey: string[] = [], sSealed: Buffer[] = [], sRot: string[] = [];
    const now = Date.now();
    for (let k = 0; k < n; k++) {
      const i = start + k;
      const id = crypto.randomUUID();
      const users = [`${prefix}_user_${i}_0`, `${prefix}_user_${i}_1`];
      ids.push(id);
      names.push(`${prefix}-${i}`);
      ku.push(`${upper}_${i}_USER`);
      kp.push(`${upper}_${i}_PASSWORD`);
      u1.push(users[0]);
      u2.push(users[1]);
      next.push(new Date(now + 86_400_000 * (1 + Math.random() * 29))); // due in 1–30 days: none is due now
      for (const idx of [0, 1]) {
        cRot.push(id); cIdx.push(idx); cUser.push(users[idx]);
        cSealed.push(sealer.seal(crypto.randomBytes(24).toString("hex"), aad.credential(id, idx)));
      }
      for (const [key, value] of [[`${upper}_${i}_USER`, users[0]], [`${upper}_${i}_PASSWORD`, "x".repeat(48)]]) {
        const sid = crypto.randomUUID();
        sId.push(sid); sKey.push(key); sRot.push(id);
        sSealed.push(sealer.seal(value, aad.secret(sid)));
      }
    }
    const c = await db.connect();
    try {
      await c.query("BEGIN");
      await c.query(
        `INSERT INTO rotations (id, name, project_id, environment, secret_path, connection_id, is_auto_rotation_enabled,
           rotation_interval, rotate_at_hours, rotate_at_minutes, time_zone, uses_utc, username1, username2,
           secret_key_username, secret_key_password, rotation_status, active_index, last_rotated_at,
           last_rotation_attempted_at, is_last_rotation_manual, next_rotation_at)
         SELECT x.id, x.name, $8, $10, $11, $6::uuid, true, 30, 0, 0, 'UTC', true,
                x.u1, x.u2, x.ku, x.kp, 'success', 0, now(), now(), true, x.next
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $7::text[], $9::text[]) AS x(id, name, ku, kp, next, u1, u2)`,
        [ids, names, ku, kp, next, o.connectionId, u1, o.project, u2, environment, secretPath],
      );
      await c.query(
        `INSERT INTO credentials (rotation_id, idx, username, password_sealed)
         SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::bytea[])`,
        [cRot, cIdx, cUser, cSealed],
      );
      await c.query(
        `INSERT INTO secrets (id, project_id, environment, secret_path, key, value_sealed, rotation_id)
         SELECT x.id, $5, $6, $7, x.key, x.v, x.rot FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::uuid[]) AS x(id, key, v, rot)`,
        [sId, sKey, sSealed, sRot, o.project, environment, secretPath],
      );
      await c.query("COMMIT");
    } catch (e) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }
}
