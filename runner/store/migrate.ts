import fs from "node:fs";
import path from "node:path";
import type { Pool } from "pg";
import { AppError } from "../errors";
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
    const rows = (await c.query<{ id: number; name: string }>("SELECT id, name FROM pgrotate_migrations ORDER BY id")).rows;
    const known = loadMigrations();
    refuseNewerStore(rows, known);
    const done = new Set(rows.map((r) => r.id));
    for (const m of known) {
      if (done.has(m.id)) continue;
      await c.query(m.sql);
      await c.query("INSERT INTO pgrotate_migrations (id, name) VALUES ($1, $2)", [m.id, m.name]);
      applied.push(m.name);
    }
  });
  return applied;
}

const pad = (id: number) => String(id).padStart(3, "0");

/**
 * A store a newer runner migrated may hold what this runner cannot read correctly (a newer release may drop or
 * change, one release after it stopped using it, what this one relies on): this runner does not start on it.
 */
function refuseNewerStore(applied: Array<{ id: number; name: string }>, known: Migration[]): void {
  const highest = known.reduce((max, m) => Math.max(max, m.id), 0);
  const newer = applied.filter((r) => r.id > highest);
  if (!newer.length) return;
  const latest = newer[newer.length - 1];
  throw new AppError(
    "Conflict",
    `This runner knows store migrations up to ${pad(highest)}; the store has ${pad(latest.id)} (${newer.map((r) => r.name).join(", ")}), ` +
      "written by a newer pgrotate. Upgrade this runner or point it at another store.",
  );
}
