import fs from "node:fs";
import path from "node:path";
import type { Pool } from "pg";
import { withTransaction } from "./db";

/** The numbered .sql files beside this module: in the sources, and in dist/ where the build copies them. */
function migrationsDir(): string {
  const dir = path.join(__dirname, "migrations");
  if (!fs.existsSync(path.join(dir, "001_init.sql"))) throw new Error(`pgrotate: SQL migrations not found in ${dir} (run npm run build)`);
  return dir;
}

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: Number(f.slice(0, 3)), name: f, sql: fs.readFileSync(path.join(dir, f), "utf8") }));
}

/**
 * Applies every migration not yet applied, in order, in one transaction under an advisory
 * lock so runners starting together on one store do not race. Returns the names applied.
 */
export async function migrate(pool: Pool): Promise<string[]> {
  const applied: string[] = [];
  await withTransaction(pool, async (c) => {
    await c.query("SELECT pg_advisory_xact_lock(hashtext('pgrotate:migrate'))");
    await c.query(
      "CREATE TABLE IF NOT EXISTS pgrotate_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set((await c.query<{ id: number }>("SELECT id FROM pgrotate_migrations")).rows.map((r) => r.id));
    for (const m of loadMigrations()) {
      if (done.has(m.id)) continue;
      await c.query(m.sql);
      await c.query("INSERT INTO pgrotate_migrations (id, name) VALUES ($1, $2)", [m.id, m.name]);
      applied.push(m.name);
    }
  });
  return applied;
}
