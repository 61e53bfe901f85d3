/**
 * In-memory cache of each folder's sealed secret rows, so reads skip the store. Kept exact: every commit that
 * changes a folder's secrets notifies every runner (migration 004), this runner also invalidates at once
 * after its own commits, and a read that raced a change never stores its result (generation check).
 * While the notification connection is down the cache is bypassed, and an entry is served for at most
 * `maxAgeMs` even when no notification arrives (a listener that died unnoticed).
 */
import { performance } from "node:perf_hooks";
import type { SecretRecord } from "../store/rows";
import type { StoreEvents } from "../store/events";
import type { Folder } from "../store/secrets";

/** A folder's sealed rows, in key order and by key. */
export interface FolderRows {
  rows: SecretRecord[];
  byKey: Map<string, SecretRecord>;
}

export const folderKey = (f: Folder): string => JSON.stringify([f.projectId, f.environment, f.secretPath]);

export class SecretCache {
  /** Each folder's rows and when they were read (performance.now()). */
  private readonly entries = new Map<string, { rows: FolderRows; readAt: number }>();
  private readonly generations = new Map<string, number>();
  private epoch = 0;

  constructor(
    private readonly events: StoreEvents | undefined,
    private readonly maxAgeMs: number,
  ) {
    events?.on("pgrotate_secrets", (payload) => this.onNotify(payload));
    events?.onReset(() => this.clear());
  }

  private get live(): boolean {
    return this.events?.live === true;
  }

  get(folder: Folder): FolderRows | undefined {
    return this.getByKey(folderKey(folder));
  }

  /** The same by folderKey(folder), for a caller that keeps the key. */
  getByKey(key: string): FolderRows | undefined {
    const e = this.live ? this.entries.get(key) : undefined;
    return e && performance.now() - e.readAt < this.maxAgeMs ? e.rows : undefined;
  }

  /** Call before reading the store; pass the ticket to put() with the result (its age counts from the ticket). */
  ticket(folder: Folder): { key: string; gen: number; epoch: number; at: number } {
    const key = folderKey(folder);
    return { key, gen: this.generations.get(key) ?? 0, epoch: this.epoch, at: performance.now() };
  }

  put(t: { key: string; gen: number; epoch: number; at: number }, rows: FolderRows): void {
    if (!this.live || t.epoch !== this.epoch || (this.generations.get(t.key) ?? 0) !== t.gen) return;
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(t.key, { rows, readAt: t.at });
  }

  /** The trigger sends json_build_array(project, environment, path); anything unreadable flushes all. */
  private onNotify(payload: string): void {
    try {
      const [projectId, environment, secretPath] = JSON.parse(payload) as [string, string, string];
      this.invalidate({ projectId, environment, secretPath });
    } catch {
      this.clear();
    }
  }

  invalidate(folder: Folder): void {
    this.invalidateKey(folderKey(folder));
  }

  private invalidateKey(key: string): void {
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    this.entries.delete(key);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }
}
