/**
 * Every sealed column of the store, and the SQL that counts values per key id, finds a version 1 value, and reads
 * and re-seals a batch. A sealed value's key id is bytes 2–5 of the bytea (runner/crypto/seal.ts), so counting
 * compares that byte range; nothing is opened to count.
 *
 * Not sealed, and not here: token and identity client secrets, access tokens and console session ids are stored
 * as SHA-256 hashes (nothing to open, nothing to re-seal).
 */
import type { Pool, PoolClient } from "pg";
import { aad, V1_KEY_ID } from "../crypto/seal";

type Q = Pool | PoolClient;

export interface SealedColumn {
  /** How answers, metrics and messages name it. */
  name: string;
  table: string;
  column: string;
  /** The primary key (name and SQL type), in order: batches walk it. */
  key: ReadonlyArray<{ name: string; type: string }>;
  /** Only these rows hold a sealed value (meta holds other things too). */
  where?: string;
  /** The associated data a row's value is sealed with, from its key. */
  aad(key: unknown[]): string;
}

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { name: "meta.value", table: "meta", column: "value", key: [{ name: "key", type: "text" }], where: "key = 'key-check'", aad: () => aad.keyCheck() },
  { name: "connections.password_sealed", table: "connections", column: "password_sealed", key: [{ name: "id", type: "uuid" }], aad: ([id]) => aad.connectionPassword(String(id)) },
  {
    name: "credentials.password_sealed",
    table: "credentials",
    column: "password_sealed",
    key: [{ name: "rotation_id", type: "uuid" }, { name: "idx", type: "smallint" }],
    aad: ([id, idx]) => aad.credential(String(id), Number(idx)),
  },
  {
    name: "rotation_intents.password_sealed",
    table: "rotation_intents",
    column: "password_sealed",
    key: [{ name: "rotation_id", type: "uuid" }, { name: "target_index", type: "smallint" }],
    aad: ([id, idx]) => aad.intent(String(id), Number(idx)),
  },
  { name: "secrets.value_sealed", table: "secrets", column: "value_sealed", key: [{ name: "id", type: "uuid" }], aad: ([id]) => aad.secret(String(id)) },
];

/** What a key id reads as for a value in a format this runner does not know (a newer pgrotate's?). */
export const UNKNOWN_FORMAT = "unknown";

/** The key id of a sealed column's value, in SQL (mirrors sealedKeyId). */
const keyIdSql = (col: string) =>
  `CASE WHEN octet_length(${col}) >= 33 AND get_byte(${col}, 0) = 2 THEN encode(substring(${col} from 2 for 4), 'hex')
        WHEN octet_length(${col}) >= 29 AND get_byte(${col}, 0) = 1 THEN '${V1_KEY_ID}'
        ELSE '${UNKNOWN_FORMAT}' END`;

const whereOf = (c: SealedColumn, ...more: string[]) => {
  const all = [c.where, ...more].filter(Boolean);
  return all.length ? `WHERE ${all.join(" AND ")}` : "";
};

export interface SealedCount {
  /** SealedColumn.name */
  column: string;
  /** 8 hex characters, "v1" (sealed before key ids) or "unknown". */
  keyId: string;
  count: number;
}

/** The first 5 bytes of a format 2 value sealed with this key id: what the counts compare (no decoding per row). */
const prefixOf = (keyId: string) => Buffer.concat([Buffer.from([2]), Buffer.from(keyId, "hex")]);
const prefixSql = (col: string) => `substring(${col} from 1 for 5)`;

/**
 * How many values each column holds per key id. The keyring's ids (`known`) are counted with one scan per table and
 * no grouping (a filter per id: about as cheap as count(*)); only the values on other key ids, none once a rekey
 * is done, are grouped, in a second scan of the tables that hold some.
 */
export async function sealedCounts(q: Q, known: readonly string[]): Promise<SealedCount[]> {
  const prefixes = known.map(prefixOf);
  const perId = known.map((_id, i) => `count(*) FILTER (WHERE ${"%COL%"} = $${i + 1})::int`);
  const parts = SEALED_COLUMNS.map((c) => {
    const counts = perId.map((f) => f.replace("%COL%", prefixSql(c.column)));
    return `SELECT '${c.name}' AS column, count(*)::int AS total, ARRAY[${counts.join(", ")}]::int[] AS known FROM ${c.table} ${whereOf(c)}`;
  });
  const { rows } = await q.query<{ column: string; total: number; known: number[] }>(parts.join("\nUNION ALL\n"), prefixes);
  const out: SealedCount[] = [];
  const others: SealedColumn[] = [];
  for (const r of rows) {
    r.known.forEach((count, i) => count > 0 && out.push({ column: r.column, keyId: known[i], count }));
    if (r.total > r.known.reduce((n, x) => n + x, 0)) others.push(SEALED_COLUMNS.find((c) => c.name === r.column)!);
  }
  if (others.length) {
    const grouped = others.map(
      (c) =>
        `SELECT '${c.name}' AS column, ${keyIdSql(c.column)} AS key_id, count(*)::int AS count FROM ${c.table}
         ${whereOf(c, `${prefixSql(c.column)} <> ALL($1::bytea[])`)} GROUP BY 2`,
    );
    const more = await q.query<{ column: string; key_id: string; count: number }>(grouped.join("\nUNION ALL\n"), [prefixes]);
    out.push(...more.rows.map((r) => ({ column: r.column, keyId: r.key_id, count: r.count })));
  }
  return out;
}

export interface SealedValue {
  /** The primary key's values, in SealedColumn.key's order. */
  key: unknown[];
  sealed: Buffer;
}

const keyList = (c: SealedColumn, alias = "") => c.key.map((k) => `${alias}${k.name}`).join(", ");
const keyValues = (row: Record<string, unknown>, c: SealedColumn) => c.key.map((k) => row[k.name]);

/** One version 1 value of the column, if it holds any (all of them were sealed with the one key there was). */
export async function oneV1Value(q: Q, c: SealedColumn): Promise<SealedValue | undefined> {
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT ${keyList(c)}, ${c.column} AS sealed FROM ${c.table} ${whereOf(c, `${keyIdSql(c.column)} = '${V1_KEY_ID}'`)} LIMIT 1`,
  );
  return rows[0] ? { key: keyValues(rows[0], c), sealed: rows[0].sealed as Buffer } : undefined;
}

/**
 * The next `limit` values of the column after `after` (primary key order) that are not sealed with `keyId`: a
 * batch to re-seal. `lock`: the rows are locked until the caller's transaction ends, in key order, skipping the
 * ones another transaction holds (a rotation committing): the caller never waits for a rotation, so it can never
 * deadlock with one, and a skipped value is left to the next pass.
 */
export async function valuesNotOn(
  q: Q, c: SealedColumn, keyId: string, after: unknown[] | undefined, limit: number, opts: { lock?: boolean } = {},
): Promise<SealedValue[]> {
  const values: unknown[] = [Buffer.from(keyId, "hex"), limit];
  const from = after ? `(${keyList(c)}) > (${c.key.map((k, i) => `$${values.push(after[i])}::${k.type}`).join(", ")})` : "";
  const notOn = `NOT (octet_length(${c.column}) >= 33 AND get_byte(${c.column}, 0) = 2 AND substring(${c.column} from 2 for 4) = $1::bytea)`;
  const { rows } = await q.query<Record<string, unknown>>(
    `SELECT ${keyList(c)}, ${c.column} AS sealed FROM ${c.table} ${whereOf(c, notOn, from)} ORDER BY ${keyList(c)} LIMIT $2${opts.lock ? " FOR NO KEY UPDATE SKIP LOCKED" : ""}`,
    values,
  );
  return rows.map((r) => ({ key: keyValues(r, c), sealed: r.sealed as Buffer }));
}

/**
 * Replaces each value by its re-sealed form only where the row still holds the very bytes that were read
 * (`t.col = old`): a value a rotation, a connection update or a delete changed meanwhile is left as that write
 * left it (read with `lock`, nothing can change meanwhile; the condition keeps the write right for any read).
 * Returns how many rows were written.
 *
 * The value stays the same, so this needs no lease: a rotation that holds one writes its own value whatever this
 * did (its writes are fenced by the lease token on the rotation row, which this never touches), and the engine
 * compares no sealed bytes; if this writes first, the rotation's write replaces it; if the rotation writes first,
 * this matches nothing. test/keyring.test.ts drives both orders.
 */
export async function resealBatch(q: Q, c: SealedColumn, batch: Array<SealedValue & { resealed: Buffer }>): Promise<number> {
  if (!batch.length) return 0;
  const values: unknown[] = [];
  const arrays = c.key.map((k, i) => `$${values.push(batch.map((b) => b.key[i]))}::${k.type}[]`);
  const old = `$${values.push(batch.map((b) => b.sealed))}::bytea[]`;
  const next = `$${values.push(batch.map((b) => b.resealed))}::bytea[]`;
  const names = c.key.map((_k, i) => `k${i}`);
  const { rowCount } = await q.query(
    `UPDATE ${c.table} t SET ${c.column} = v.resealed
     FROM unnest(${[...arrays, old, next].join(", ")}) AS v(${[...names, "old", "resealed"].join(", ")})
     WHERE (${keyList(c, "t.")}) = (${names.map((n) => `v.${n}`).join(", ")}) AND t.${c.column} = v.old`,
    values,
  );
  return rowCount ?? 0;
}
