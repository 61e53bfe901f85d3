/** Views of a runner's store for reliability suites: a cheap digest of its state and a full text dump. */
import { Client } from "pg";
import { withClient } from "./pg";

/** Tables that record what happened rather than what is: they grow with every request, by design. */
export const LOG_TABLES = ["audit_logs"];

async function tables(c: Client): Promise<string[]> {
  const { rows } = await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.t);
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * A client held open for many digests: one round trip gives an md5 per state table (every row, every column).
 * Equal digests before and after a request mean the request changed nothing.
 */
export async function openDigester(storeUrl: string): Promise<{ digest(): Promise<Record<string, string>>; close(): Promise<void> }> {
  const c = new Client({ connectionString: storeUrl });
  c.on("error", () => undefined);
  await c.connect();
  const state = (await tables(c)).filter((t) => !LOG_TABLES.includes(t));
  const sql = "SELECT " + state.map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${ident(t)} x) AS ${ident(t)}`).join(", ");
  return {
    digest: async () => (await c.query<Record<string, string>>(sql)).rows[0],
    close: () => c.end().catch(() => undefined),
  };
}

/** Every row of every table of the store as text; bytea columns as latin1, hex and base64 so nothing hides. */
export async function dumpStore(storeUrl: string): Promise<{ tables: string[]; text: string }> {
  return withClient(storeUrl, async (c) => {
    const names = await tables(c);
    let text = "";
    for (const t of names) {
      const rows = (await c.query(`SELECT * FROM ${ident(t)}`)).rows;
      text += `\n== ${t}\n` + JSON.stringify(rows, (_k, v) => {
        if (v && typeof v === "object" && v.type === "Buffer" && Array.isArray(v.data)) {
          const b = Buffer.from(v.data);
          return `${b.toString("latin1")} ${b.toString("hex")} ${b.toString("base64")}`;
        }
        return v;
      });
    }
    return { tables: names, text };
  });
}
