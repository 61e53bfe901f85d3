/**
 * Is a store migration additive, so that runners of the previous release keep working on the migrated store while a
 * rolling upgrade runs? Finds the statements that take away or change what an older runner reads or writes. A
 * finding is allowed only by a comment before its statement naming the rule and the earlier release from which no
 * runner needs what it removes:
 *
 *   -- pgrotate:allow DROP since 0.2.0: no runner reads rotations.old_column since 0.2.0
 *   ALTER TABLE rotations DROP COLUMN old_column;
 *
 * A function's new body may instead be declared compatible — it does for every older runner exactly what the old
 * body did (e.g. a new branch only a newer runner's session setting takes) — with the reason:
 *
 *   -- pgrotate:allow CREATE OR REPLACE compatible: the new condition holds only where pgrotate.reseal is on
 */
import semver from "semver";

export const RULES = {
  DROP: "drops an object (table, column, index, trigger, function, type, constraint, default) an older runner may use",
  RENAME: "renames what an older runner names",
  "ALTER COLUMN TYPE": "changes a column's type under an older runner",
  "SET NOT NULL": "makes an existing column refuse the NULL an older runner may write",
  "ADD COLUMN NOT NULL WITHOUT DEFAULT": "adds a column an older runner's inserts cannot fill",
  "ADD CONSTRAINT": "adds a constraint to an existing table that may refuse an older runner's writes",
  "CREATE UNIQUE INDEX": "adds a uniqueness rule to an existing table that may refuse an older runner's writes",
  "CREATE OR REPLACE": "replaces the body of a function or view an older runner relies on",
  TRUNCATE: "removes rows",
  DELETE: "removes rows",
} as const;
export type Rule = keyof typeof RULES;

export interface Finding {
  migration: string;
  rule: Rule;
  /** The statement, comments and literals left out, on one line. */
  statement: string;
  /** The allow comment's release when one allows it. */
  allowedSince?: string;
  /** Allowed as a compatible replacement (CREATE OR REPLACE only). */
  compatible?: true;
  /** Why an allow comment for this finding does not count. */
  badAllow?: string;
}

interface Statement {
  /** Upper case, whitespace collapsed, without comments; string literals and dollar-quoted bodies emptied. */
  code: string;
  /** The comments before and inside the statement. */
  comments: string;
}

/** Splits SQL into statements (on ";" outside comments, string literals and dollar-quoted bodies). */
export function statements(sql: string): Statement[] {
  const out: Statement[] = [];
  let code = "";
  let comments = "";
  const flush = () => {
    const text = code.replace(/\s+/g, " ").trim().toUpperCase();
    if (text) out.push({ code: text, comments });
    code = "";
    comments = "";
  };
  for (let i = 0; i < sql.length; ) {
    if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      comments += sql.slice(i + 2, stop) + "\n";
      code += " ";
      i = stop;
    } else if (sql.startsWith("/*", i)) {
      const end = sql.indexOf("*/", i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      comments += sql.slice(i + 2, stop - 2) + "\n";
      code += " ";
      i = stop;
    } else if (sql[i] === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      code += "''";
      i = j + 1;
    } else if (sql[i] === "$" && /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 64))) {
      // A function body runs later, at the store's will: what it says is no change of the schema.
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      code += "$$ $$";
      i = end < 0 ? sql.length : end + tag.length;
    } else if (sql[i] === ";") {
      flush();
      i++;
    } else {
      code += sql[i];
      i++;
    }
  }
  flush();
  return out;
}

const NAME = String.raw`("?[A-Z_][A-Z0-9_$."]*)`;
const unquote = (name: string) => name.replace(/"/g, "");

/** The rules a statement breaks, given the tables the same migration created (changing those is no one's concern). */
function broken(code: string, created: Set<string>): Rule[] {
  const rules: Rule[] = [];
  const altered = new RegExp(String.raw`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${NAME}`).exec(code);
  const existing = altered ? !created.has(unquote(altered[1])) : false;
  if (/\bDROP\b/.test(code) && !/^CREATE\b/.test(code)) rules.push("DROP");
  if (/\bRENAME\b/.test(code)) rules.push("RENAME");
  if (/\bALTER (?:COLUMN )?"?[A-Z_][A-Z0-9_]*"? (?:SET DATA )?TYPE\b/.test(code.replace(/^ALTER TABLE/, ""))) rules.push("ALTER COLUMN TYPE");
  if (existing && /\bSET NOT NULL\b/.test(code)) rules.push("SET NOT NULL");
  if (existing) {
    // Each ADD [COLUMN] clause on its own: NOT NULL needs a DEFAULT for the inserts of runners that do not know it.
    for (const clause of code.split(/,(?![^(]*\))/)) {
      const add = /\bADD (?:COLUMN )?(?:IF NOT EXISTS )?(?!CONSTRAINT\b|PRIMARY\b|UNIQUE\b|CHECK\b|FOREIGN\b|EXCLUDE\b)/.exec(clause);
      if (add && /\bNOT NULL\b/.test(clause) && !/\bDEFAULT\b/.test(clause)) rules.push("ADD COLUMN NOT NULL WITHOUT DEFAULT");
    }
    if (/\bADD (?:CONSTRAINT|PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)\b/.test(code)) rules.push("ADD CONSTRAINT");
  }
  const unique = new RegExp(String.raw`^CREATE UNIQUE INDEX\b.* ON (?:ONLY )?${NAME}`).exec(code);
  if (unique && !created.has(unquote(unique[1]))) rules.push("CREATE UNIQUE INDEX");
  if (/^CREATE OR REPLACE\b/.test(code)) rules.push("CREATE OR REPLACE");
  if (/^TRUNCATE\b/.test(code)) rules.push("TRUNCATE");
  if (/^DELETE FROM\b/.test(code)) rules.push("DELETE");
  return rules;
}

const ALLOW = /pgrotate:allow\s+([A-Z][A-Z ]*?)\s+(?:since\s+(\S+?)|(compatible))\s*:\s*(\S.*)?$/gm;

/**
 * Every breaking statement of one migration, each with the allow comment that covers it (`allowedSince`) or the
 * reason the comment given does not count (`badAllow`). `release` is the release the migration ships in
 * (package.json's version): the release an allow comment names must come before it.
 */
export function breakingChanges(migration: { name: string; sql: string }, release: string): Finding[] {
  const created = new Set<string>();
  const findings: Finding[] = [];
  for (const s of statements(migration.sql)) {
    const table = new RegExp(String.raw`^CREATE (?:UNLOGGED |TEMP |TEMPORARY )?TABLE (?:IF NOT EXISTS )?${NAME}`).exec(s.code);
    if (table) created.add(unquote(table[1]));
    const allows = [...s.comments.matchAll(ALLOW)].map((m) => ({ rule: m[1], since: m[2], compatible: Boolean(m[3]), why: m[4] }));
    for (const rule of broken(s.code, created)) {
      const finding: Finding = { migration: migration.name, rule, statement: s.code };
      const allow = allows.find((a) => a.rule === rule);
      if (allow?.compatible) {
        if (rule !== "CREATE OR REPLACE") finding.badAllow = `only CREATE OR REPLACE may be declared compatible; ${rule} needs "since <release>"`;
        else if (!allow.why) finding.badAllow = 'its allow comment gives no reason after "compatible:"';
        else finding.compatible = true;
      } else if (allow && !allow.why) finding.badAllow = `its allow comment gives no reason after "since ${allow.since}:"`;
      else if (allow && !semver.valid(allow.since)) finding.badAllow = `its allow comment names "${allow.since}", not a release`;
      else if (allow && !semver.lt(allow.since, release)) finding.badAllow = `its allow comment names ${allow.since}, not a release before ${release}`;
      else if (allow) finding.allowedSince = allow.since;
      findings.push(finding);
    }
  }
  return findings;
}
