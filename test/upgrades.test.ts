/**
 * Upgrades (docs/production.md, Upgrades): store migrations stay additive for one release, so runners of the
 * previous release keep working on a migrated store during a rolling upgrade, and a runner never starts on a store
 * a newer runner migrated.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../runner/config";
import { startRunner } from "../runner/runtime";
import { loadMigrations } from "../runner/store/migrate";
import { breakingChanges, type Finding, type Rule } from "./helpers/additive-migrations";
import { cluster, createDatabase, withClient } from "./helpers/pg";

const RELEASE = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { version: string }).version;
const MIGRATIONS = loadMigrations(path.join(__dirname, "..", "runner", "store", "migrations"));

/**
 * The migrations written before the rule (001–013). Where they break it, they did so before any release: each
 * replaced what it dropped in the same transaction, so no runner ever saw the store without it.
 */
const CUT_OFF = 13;
const GRANDFATHERED: Record<string, Array<{ rule: Rule; statement: RegExp }>> = {
  // The due index, recreated at once with a narrower predicate.
  "002_scheduler.sql": [{ rule: "DROP", statement: /^DROP INDEX ROTATIONS_DUE$/ }],
  // The schedule trigger, split into an insert and an update trigger sending the same notification.
  "009_schedule_notify_earlier.sql": [{ rule: "DROP", statement: /^DROP TRIGGER ROTATIONS_SCHEDULE_NOTIFY ON ROTATIONS$/ }],
  // The access triggers, replaced by statement-level ones that notify only when a row changed.
  "013_access_notify_on_change.sql": [
    { rule: "DROP", statement: /^DROP TRIGGER ACCESS_TOKENS_NOTIFY ON ACCESS_TOKENS$/ },
    { rule: "DROP", statement: /^DROP TRIGGER MACHINE_IDENTITIES_NOTIFY ON MACHINE_IDENTITIES$/ },
  ],
};

const show = (f: Finding) => `${f.migration}: ${f.rule} in "${f.statement}"${f.badAllow ? ` (${f.badAllow})` : ""}`;

describe("Store migrations stay additive", () => {
  test("When the migrations are listed, then their ids run 1, 2, 3 … without a gap or a repeat (the highest is what a runner knows)", () => {
    expect(MIGRATIONS.map((m) => m.id)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  test(`When the migrations up to ${String(CUT_OFF).padStart(3, "0")} are read, then they break the rule exactly where the grandfathered list says`, () => {
    for (const m of MIGRATIONS.filter((x) => x.id <= CUT_OFF)) {
      const found = breakingChanges(m, RELEASE).map((f) => ({ rule: f.rule, statement: f.statement }));
      const listed = GRANDFATHERED[m.name] ?? [];
      expect({ migration: m.name, found }).toEqual({ migration: m.name, found: listed.map((g) => ({ rule: g.rule, statement: expect.stringMatching(g.statement) })) });
    }
  });

  test(`When a migration after ${String(CUT_OFF).padStart(3, "0")} takes away or changes what an older runner uses, then an allow comment names the earlier release that made it safe`, () => {
    const unallowed = MIGRATIONS.filter((m) => m.id > CUT_OFF)
      .flatMap((m) => breakingChanges(m, RELEASE))
      .filter((f) => !f.allowedSince && !f.compatible);
    expect(unallowed.map(show)).toEqual([]);
  });

  const rulesOf = (sql: string) => breakingChanges({ name: "900_example.sql", sql }, "0.3.0").map((f) => f.rule);

  test.each<[string, Rule[], string]>([
    ["a new column with a default", [], "ALTER TABLE rotations ADD COLUMN tries integer NOT NULL DEFAULT 0;"],
    ["a new nullable column", [], "ALTER TABLE rotations ADD COLUMN note text;"],
    ["a new table, its index and constraints", [], "CREATE TABLE t (id int NOT NULL); CREATE UNIQUE INDEX t_id ON t (id); ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0); ALTER TABLE t ALTER COLUMN id SET NOT NULL;"],
    ["a new index", [], "CREATE INDEX rotations_x ON rotations (name);"],
    ["a function whose body deletes and drops", [], "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$ BEGIN DELETE FROM x; DROP TABLE y; END $body$;"],
    ["DROP in a comment and a string", [], "-- we DROP nothing\nCOMMENT ON TABLE rotations IS 'DROP COLUMN x; RENAME';"],
    ["a trigger on TRUNCATE and DELETE", [], "CREATE TRIGGER t AFTER TRUNCATE ON x FOR EACH STATEMENT EXECUTE FUNCTION f(); CREATE TRIGGER d AFTER DELETE ON x FOR EACH ROW EXECUTE FUNCTION f();"],
    ["DROP COLUMN", ["DROP"], "ALTER TABLE rotations DROP COLUMN lease_token;"],
    ["DROP TABLE", ["DROP"], "DROP TABLE IF EXISTS rotation_history;"],
    ["DROP DEFAULT", ["DROP"], "ALTER TABLE rotations ALTER COLUMN retry_attempt DROP DEFAULT;"],
    ["RENAME COLUMN", ["RENAME"], "ALTER TABLE rotations RENAME COLUMN name TO title;"],
    ["RENAME TABLE", ["RENAME"], "ALTER TABLE rotations RENAME TO rotation;"],
    ["a type change", ["ALTER COLUMN TYPE"], "ALTER TABLE rotations ALTER COLUMN retry_attempt TYPE bigint;"],
    ["a type change without COLUMN", ["ALTER COLUMN TYPE"], "ALTER TABLE rotations ALTER retry_attempt SET DATA TYPE bigint;"],
    ["SET NOT NULL on an existing column", ["SET NOT NULL"], "ALTER TABLE connections ALTER COLUMN server_id SET NOT NULL;"],
    ["a NOT NULL column without a default", ["ADD COLUMN NOT NULL WITHOUT DEFAULT"], "ALTER TABLE rotations ADD COLUMN a text, ADD COLUMN b integer NOT NULL;"],
    ["a constraint on an existing table", ["ADD CONSTRAINT"], "ALTER TABLE rotations ADD CONSTRAINT name_short CHECK (length(name) < 10);"],
    ["a unique index on an existing table", ["CREATE UNIQUE INDEX"], "CREATE UNIQUE INDEX CONCURRENTLY rotations_name ON rotations (name);"],
    ["a replaced function", ["CREATE OR REPLACE"], "CREATE OR REPLACE FUNCTION pgrotate_notify_schedule() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;"],
    ["TRUNCATE", ["TRUNCATE"], "TRUNCATE rotation_history;"],
    ["DELETE", ["DELETE"], "DELETE FROM meta WHERE key = 'x';"],
  ])("When a migration has %s, then the check finds %j", (_what, rules, sql) => {
    expect(rulesOf(sql)).toEqual(rules);
  });

  test("When an allow comment names the rule and a release before the migration's, or declares a CREATE OR REPLACE compatible with a reason, then the finding is allowed; otherwise it still counts and says why", () => {
    const drop = "ALTER TABLE rotations DROP COLUMN old_column;";
    const check = (comment: string) => {
      const [f] = breakingChanges({ name: "900_example.sql", sql: `${comment}\n${drop}` }, "0.3.0");
      return { rule: f.rule, allowedSince: f.allowedSince, badAllow: f.badAllow };
    };
    expect(check("-- pgrotate:allow DROP since 0.2.0: no runner reads old_column since 0.2.0")).toEqual({ rule: "DROP", allowedSince: "0.2.0", badAllow: undefined });
    expect(check("-- pgrotate:allow DROP since 0.3.0: no runner reads it since 0.3.0")).toEqual({ rule: expect.any(String), allowedSince: undefined, badAllow: "its allow comment names 0.3.0, not a release before 0.3.0" });
    expect(check("-- pgrotate:allow DROP since next: soon")).toEqual({ rule: expect.any(String), allowedSince: undefined, badAllow: 'its allow comment names "next", not a release' });
    expect(check("-- pgrotate:allow DROP since 0.2.0:")).toEqual({ rule: expect.any(String), allowedSince: undefined, badAllow: expect.stringContaining("gives no reason") });
    expect(check("-- pgrotate:allow RENAME since 0.2.0: another rule")).toEqual({ rule: expect.any(String), allowedSince: undefined, badAllow: undefined });
    expect(check("-- pgrotate:allow DROP compatible: nobody minds")).toEqual({ rule: "DROP", allowedSince: undefined, badAllow: 'only CREATE OR REPLACE may be declared compatible; DROP needs "since <release>"' });
    const replaced = (comment: string) => breakingChanges({ name: "901_example.sql", sql: `${comment}\nCREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;` }, "0.3.0")[0];
    const verdict = (comment: string) => {
      const f = replaced(comment);
      return { rule: f.rule, compatible: f.compatible, allowedSince: f.allowedSince, badAllow: f.badAllow };
    };
    expect(verdict("-- pgrotate:allow CREATE OR REPLACE compatible: older runners never take the new branch")).toEqual({ rule: "CREATE OR REPLACE", compatible: true, allowedSince: undefined, badAllow: undefined });
    expect(verdict("-- pgrotate:allow CREATE OR REPLACE compatible:")).toEqual({ rule: "CREATE OR REPLACE", compatible: undefined, allowedSince: undefined, badAllow: 'its allow comment gives no reason after "compatible:"' });
    expect(verdict("-- nothing")).toEqual({ rule: "CREATE OR REPLACE", compatible: undefined, allowedSince: undefined, badAllow: undefined });
    // The comment covers its own statement only.
    const two = breakingChanges({ name: "900_example.sql", sql: `-- pgrotate:allow DROP since 0.2.0: old_column unused since 0.2.0\n${drop}\nALTER TABLE rotations DROP COLUMN other;` }, "0.3.0");
    expect(two.map((f) => f.allowedSince)).toEqual(["0.2.0", undefined]);
  });
});

describe("A runner on a store a newer runner migrated", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-upgrades-"));
  let store: Awaited<ReturnType<typeof createDatabase>>;
  afterAll(async () => {
    await store?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("When the store has a migration above this runner's highest, then the runner does not start, naming both, and changes nothing", async () => {
    store = await createDatabase(cluster(), "upgrades_store");
    const env = {
      PGROTATE_DATABASE_URL: store.url,
      PGROTATE_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
      PGROTATE_PORT: "0",
      PGROTATE_LOG_LEVEL: "silent",
      PGROTATE_DATA_DIR: path.join(work, "runner"),
    };
    const runner = await startRunner(loadConfig(env));
    await runner.stop();
    const highest = MIGRATIONS[MIGRATIONS.length - 1].id;
    const future = highest + 1;
    const pad = (n: number) => String(n).padStart(3, "0");
    await withClient(store.url, async (c) => {
      await c.query("INSERT INTO pgrotate_migrations (id, name) VALUES ($1, $2)", [future, `${pad(future)}_from_a_newer_runner.sql`]);
      await c.query("ALTER TABLE rotations ADD COLUMN from_a_newer_runner text");
    });
    const before = await withClient(store.url, async (c) => (await c.query("SELECT id, name, applied_at FROM pgrotate_migrations ORDER BY id")).rows);

    const refused = await startRunner(loadConfig(env)).then(
      (r) => r.stop().then(() => "started"),
      (err: Error) => err.message,
    );
    expect(refused).toBe(
      `This runner knows store migrations up to ${pad(highest)}; the store has ${pad(future)} (${pad(future)}_from_a_newer_runner.sql), ` +
        "written by a newer pgrotate. Upgrade this runner or point it at another store.",
    );
    expect(await withClient(store.url, async (c) => (await c.query("SELECT id, name, applied_at FROM pgrotate_migrations ORDER BY id")).rows)).toEqual(before);

    // The same store without the newer migration's row: the runner starts again.
    await withClient(store.url, (c) => c.query("DELETE FROM pgrotate_migrations WHERE id = $1", [future]));
    const again = await startRunner(loadConfig(env));
    expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
    await again.stop();
  });
});
