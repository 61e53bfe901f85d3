import type { Pool } from "pg";
import { aad, type Sealer } from "../crypto/seal";
import { AppError } from "../errors";
import type { RawSecret } from "../responses";
import type { SecretRecord } from "../store/rows";
import { listSecrets, listSecretTree, type Folder } from "../store/secrets";
import { folderKey, type FolderRows, type SecretCache } from "./secret-cache";

/** Infisical's raw secret shape (runner/responses.ts). */
export type { RawSecret };

/** What apps read: the mapped secrets of a folder, opened. One query, so a pair is never mixed. */
export class SecretService {
  constructor(private readonly d: { pool: Pool; sealer: Sealer; cache?: SecretCache }) {}

  /** The folder's rows, by key too (from the cache when it is live, else one store query). */
  private async rows(folder: Folder): Promise<FolderRows> {
    const cached = this.d.cache?.get(folder);
    if (cached) return cached;
    const ticket = this.d.cache?.ticket(folder);
    const rows = await listSecrets(this.d.pool, folder);
    const entry = { rows, byKey: new Map(rows.map((r) => [r.key, r])) };
    if (ticket) this.d.cache!.put(ticket, entry);
    return entry;
  }

  async list(folder: Folder): Promise<RawSecret[]> {
    return (await this.rows(folder)).rows.map((s) => this.open(s));
  }

  /**
   * A folder and everything under it (`recursive=true`), each row kept only when `visible` says its folder may
   * be read: always from the store (the cache holds single folders), so it is exact.
   */
  async listTree(folder: Folder, visible: (f: Folder) => boolean): Promise<RawSecret[]> {
    const rows = await listSecretTree(this.d.pool, folder);
    return rows.filter((r) => visible({ projectId: r.projectId, environment: r.environment, secretPath: r.secretPath })).map((s) => this.open(s));
  }

  /** One secret by name: only its own value is opened (not every secret of the folder). */
  async get(folder: Folder, key: string): Promise<RawSecret> {
    const found = (await this.rows(folder)).byKey.get(key);
    if (!found) {
      throw new AppError("NotFound", `Secret ${JSON.stringify(key)} not found in project ${folder.projectId}, environment ${folder.environment}, path ${folder.secretPath}`);
    }
    return this.open(found);
  }

  /**
   * Synchronous: the sealed row of one secret in the live cache (nothing is opened), or undefined when the folder
   * is not cached or lacks the key. A change of the secret replaces the row, so the same row is the same value.
   * The folder may be given as its folderKey() (a caller that reads it again and again keeps the key).
   */
  cachedRecord(folder: Folder | string, key: string): SecretRecord | undefined {
    return this.d.cache?.getByKey(typeof folder === "string" ? folder : folderKey(folder))?.byKey.get(key);
  }

  /** The raw-secret answer for a row (opens its value). */
  open(s: SecretRecord): RawSecret {
    // Not remembered by the scrubber: these are the engine's passwords, which it remembers when it handles them.
    const value = this.d.sealer.open(s.valueSealed, aad.secret(s.id));
    return {
      id: s.id,
      _id: s.id,
      workspace: s.projectId,
      environment: s.environment,
      secretPath: s.secretPath,
      secretKey: s.key,
      secretValue: value,
      secretComment: "",
      secretValueHidden: false,
      version: s.version,
      type: "shared",
      tags: [],
      secretMetadata: [],
      isRotatedSecret: s.rotationId !== null,
      rotationId: s.rotationId,
      secretReminderNote: null,
      secretReminderRepeatDays: null,
      skipMultilineEncoding: false,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}
