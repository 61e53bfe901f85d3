import type { Pool, PoolClient } from "pg";
import { type SecretRecord, type SecretRow, toSecret } from "./rows";

type Q = Pool | PoolClient;

export interface Folder {
  projectId: string;
  environment: string;
  secretPath: string;
}

export async function insertSecret(
  q: Q,
  s: { id: string; folder: Folder; key: string; valueSealed: Buffer; rotationId: string },
): Promise<void> {
  await q.query(
    `INSERT INTO secrets (id, project_id, environment, secret_path, key, value_sealed, rotation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [s.id, s.folder.projectId, s.folder.environment, s.folder.secretPath, s.key, s.valueSealed, s.rotationId],
  );
}

export async function renameSecret(q: Q, id: string, key: string): Promise<void> {
  await q.query("UPDATE secrets SET key = $2, version = version + 1, updated_at = now() WHERE id = $1", [id, key]);
}

export async function secretsOfRotation(q: Q, rotationId: string): Promise<SecretRecord[]> {
  const { rows } = await q.query<SecretRow>("SELECT * FROM secrets WHERE rotation_id = $1 ORDER BY key", [rotationId]);
  return rows.map(toSecret);
}

/** Existing keys among `keys` in a folder (for 409s before anything changes). */
export async function takenKeys(q: Q, folder: Folder, keys: string[], exceptRotationId?: string): Promise<string[]> {
  const { rows } = await q.query<{ key: string }>(
    `SELECT key FROM secrets WHERE project_id = $1 AND environment = $2 AND secret_path = $3 AND key = ANY($4)
       AND rotation_id IS DISTINCT FROM $5::uuid`,
    [folder.projectId, folder.environment, folder.secretPath, keys, exceptRotationId ?? null],
  );
  return rows.map((r) => r.key);
}

/** One statement, so a list read sees the username and password of the same committed rotation. */
export async function listSecrets(q: Q, folder: Folder, key?: string): Promise<SecretRecord[]> {
  const { rows } = await q.query<SecretRow>(
    `SELECT * FROM secrets WHERE project_id = $1 AND environment = $2 AND secret_path = $3
       AND ($4::text IS NULL OR key = $4) ORDER BY key`,
    [folder.projectId, folder.environment, folder.secretPath, key ?? null],
  );
  return rows.map(toSecret);
}

/**
 * A folder and every folder under it (Infisical's `recursive=true`), in one statement: folders in path order,
 * keys in order within each.
 */
export async function listSecretTree(q: Q, folder: Folder): Promise<SecretRecord[]> {
  const under = folder.secretPath === "/" ? "/" : `${folder.secretPath}/`;
  const { rows } = await q.query<SecretRow>(
    `SELECT * FROM secrets WHERE project_id = $1 AND environment = $2
       AND (secret_path = $3 OR left(secret_path, length($4)) = $4) ORDER BY secret_path, key`,
    [folder.projectId, folder.environment, folder.secretPath, under],
  );
  return rows.map(toSecret);
}

export async function deleteSecretsOfRotation(q: Q, rotationId: string): Promise<void> {
  await q.query("DELETE FROM secrets WHERE rotation_id = $1", [rotationId]);
}
