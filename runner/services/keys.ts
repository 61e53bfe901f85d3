/**
 * The keyring as an operator sees it: its key ids (never a key), how many stored values each key id seals, and the
 * rekey this runner runs (GET /api/v1/admin/keys, POST …/rekey, `pgrotate status`, `pgrotate rekey`, /metrics).
 */
import type { Pool } from "pg";
import { type Sealer, V1_KEY_ID } from "../crypto/seal";
import type { Logger } from "../logger";
import type { ApiKeys } from "../responses";
import { type SealedCount, sealedCounts } from "../store/sealed";
import { type AfterBatchHook, DEFAULT_REKEY_BATCH, RekeyJob } from "./rekey";

type KeyStatus = ApiKeys["keys"][number]["status"];

export interface KeyCount {
  keyId: string;
  status: KeyStatus;
  sealedValues: number;
  byColumn: Record<string, number>;
}

/** Counts per key id: the keyring's keys first (newest first, 0 when they seal nothing), then the others. */
export function countsByKey(sealer: Sealer, counts: SealedCount[]): KeyCount[] {
  const ring = sealer.keyIds;
  const statusOf = (id: string): KeyStatus => (id === ring[0] ? "newest" : ring.includes(id) ? "older" : id === V1_KEY_ID ? "v1" : "missing");
  const byKey = new Map<string, KeyCount>(ring.map((id) => [id, { keyId: id, status: statusOf(id), sealedValues: 0, byColumn: {} }]));
  for (const c of counts) {
    let k = byKey.get(c.keyId);
    if (!k) byKey.set(c.keyId, (k = { keyId: c.keyId, status: statusOf(c.keyId), sealedValues: 0, byColumn: {} }));
    k.sealedValues += c.count;
    k.byColumn[c.column] = c.count;
  }
  return [...byKey.values()];
}

export class KeysService {
  private job?: RekeyJob;

  constructor(private readonly d: { pool: Pool; sealer: Sealer; logger: Logger; clock: () => Date; afterRekeyBatch?: AfterBatchHook }) {}

  async report(): Promise<ApiKeys> {
    const keys = countsByKey(this.d.sealer, await sealedCounts(this.d.pool, this.d.sealer.keyIds));
    const progress = this.job?.progress();
    return {
      newestKeyId: this.d.sealer.newestKeyId,
      keys,
      notOnNewest: keys.filter((k) => k.status !== "newest").reduce((n, k) => n + k.sealedValues, 0),
      rekey: progress
        ? { ...progress, startedAt: progress.startedAt.toISOString(), finishedAt: progress.finishedAt?.toISOString() ?? null }
        : null,
    };
  }

  /** Starts a rekey in the background, unless one is running here already (then that one goes on). */
  async rekey(opts: { batchSize?: number } = {}): Promise<ApiKeys> {
    if (this.job?.progress().status !== "running") {
      const { afterRekeyBatch, ...d } = this.d;
      this.job = new RekeyJob({ ...d, afterBatch: afterRekeyBatch }, opts.batchSize ?? DEFAULT_REKEY_BATCH);
    }
    return this.report();
  }

  /** The rekey in flight ends after its current batch (a runner stopping). */
  async stop(): Promise<void> {
    await this.job?.stop();
  }
}
