/**
 * The start-up check of the keyring against the store: every key id a stored value names must be in the keyring,
 * and the version 1 values (sealed before key ids, all with the one key there was) must open with one of its keys.
 * Refused otherwise, naming the key id and how many values it still seals: a runner that starts without a key
 * would fail on those values one by one, at the worst moment (a rotation, a read).
 */
import type { Pool, PoolClient } from "pg";
import { type Sealer, V1_KEY_ID } from "../crypto/seal";
import { AppError } from "../errors";
import { oneV1Value, SEALED_COLUMNS, type SealedCount, sealedCounts, UNKNOWN_FORMAT } from "./sealed";

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
const byColumn = (counts: SealedCount[]) => counts.map((c) => `${c.column} ${c.count}`).join(", ");
const total = (counts: SealedCount[]) => counts.reduce((n, c) => n + c.count, 0);

/** Refuses a keyring that lacks a key the store still needs; returns the counts it read. */
export async function assertKeyringCovers(pool: Pool | PoolClient, sealer: Sealer): Promise<SealedCount[]> {
  const counts = await sealedCounts(pool, sealer.keyIds);
  const unknown = counts.filter((c) => c.keyId === UNKNOWN_FORMAT);
  if (unknown.length) {
    throw new AppError(
      "BadRequest",
      `The store holds ${plural(total(unknown), "sealed value")} in a format this runner does not know (${byColumn(unknown)}): ` +
        "was it written by a newer pgrotate? Run that version.",
    );
  }
  const known = new Set(sealer.keyIds);
  const missing = new Map<string, SealedCount[]>();
  for (const c of counts) {
    if (c.keyId !== V1_KEY_ID && !known.has(c.keyId)) missing.set(c.keyId, [...(missing.get(c.keyId) ?? []), c]);
  }
  if (missing.size) {
    const lines = [...missing].map(
      ([id, cs]) => `PGROTATE_ENCRYPTION_KEYS lacks key ${id}, which still seals ${plural(total(cs), "value")} (${byColumn(cs)})`,
    );
    throw new AppError("BadRequest", `${lines.join("; ")}: put ${missing.size > 1 ? "them" : "it"} back (after the newest key), run \`pgrotate rekey\`, then remove ${missing.size > 1 ? "them" : "it"}`);
  }
  return counts;
}

/**
 * Version 1 values carry no key id: one of each column is opened to find out whether the keyring still holds
 * their key (they were all sealed with the one key a store had before keyrings). Refused when none opens.
 */
export async function assertV1ValuesOpen(pool: Pool | PoolClient, sealer: Sealer, counts: SealedCount[]): Promise<void> {
  const v1 = counts.filter((c) => c.keyId === V1_KEY_ID);
  for (const c of v1) {
    const column = SEALED_COLUMNS.find((s) => s.name === c.column)!;
    const sample = await oneV1Value(pool, column);
    if (!sample) continue; // re-sealed since it was counted
    try {
      sealer.open(sample.sealed, column.aad(sample.key));
    } catch {
      throw new AppError(
        "BadRequest",
        `The store holds ${plural(total(v1), "value")} sealed before key ids (${byColumn(v1)}) that open with none of the encryption keys: ` +
          "put the key they were sealed with (the PGROTATE_ENCRYPTION_KEY of before) back in PGROTATE_ENCRYPTION_KEYS (after the newest key), " +
          "run `pgrotate rekey`, then remove it",
      );
    }
  }
}
