/**
 * The pair check: are the two users of a rotation interchangeable? After a rotation the application logs in
 * as the other user; anything one of them may do and the other may not is an outage waiting for the next
 * rotation (AWS's alternating-users rotation hurts people exactly there).
 *
 * Pure: `comparePair` takes what pair-facts.ts read from the catalogs and returns the differences, each with
 * the SQL that removes it. The rule for that SQL: what one user has and the other lacks is given to the other
 * (so the application keeps every right it uses); where both hold different values (a setting, a connection
 * limit), the more permissive one or username1's wins; objects either one owns move to the group role.
 */
import { quoteIdent as q, quoteLiteral } from "./sql-text";

export const DIFFERENCE_KINDS = [
  "group-role",
  "attribute",
  "membership",
  "setting",
  "database-privilege",
  "schema-privilege",
  "table-privilege",
  "column-privilege",
  "sequence-privilege",
  "function-privilege",
  "default-privilege",
  "policy",
  "owned-object",
] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export interface Difference {
  kind: DifferenceKind;
  /** What differs, e.g. `table public.orders` or `role "app_user_1"`. */
  object: string;
  /** Which user has what, in words. */
  detail: string;
  /** The statement(s) that remove this difference; run as a superuser (or the objects' owner). */
  sql: string;
}

export interface PairCheckReport {
  interchangeable: boolean;
  /** The database that was checked (privileges and owned objects are per database). */
  database: string;
  /** The group role owned objects move to (given, found, or — when there is none — the one to create). */
  groupRole: string | null;
  serverVersionNum: number;
  differences: Difference[];
}

export const BOOLEAN_ATTRIBUTES = ["SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS", "LOGIN", "INHERIT"] as const;
export type BooleanAttribute = (typeof BOOLEAN_ATTRIBUTES)[number];

export interface UserFacts {
  name: string;
  attributes: Record<BooleanAttribute, boolean>;
  /** -1: no limit. */
  connectionLimit: number;
  /** null: never expires; else the timestamp as the server prints it, and its epoch seconds. */
  validUntil: { text: string; epoch: number } | null;
  /** Roles this user is a member of. inherit/set are null before PostgreSQL 16 (the role's INHERIT attribute decides). */
  memberships: Array<{ role: string; roleCanLogin: boolean; admin: boolean; inherit: boolean | null; set: boolean | null }>;
  /** ALTER ROLE … [IN DATABASE …] SET: database null = every database. */
  settings: Array<{ database: string | null; name: string; value: string }>;
  /** Privileges granted to this user directly. `object` is a quoted, schema-qualified identity. */
  privileges: Array<{ kind: PrivilegeKind; object: string; column: string | null; privilege: string; grantable: boolean }>;
  /** pg_default_acl entries where this user is the creating role or the grantee. Role names, or "PUBLIC". */
  defaultPrivileges: Array<{ owner: string; schema: string | null; objtype: DefaultObjectType; grantee: string; privilege: string; grantable: boolean }>;
  /** Objects this user owns. `here`: in the checked database (or shared); else `database` names where. */
  owned: Array<{ here: boolean; database: string | null; type: string | null; identity: string | null; linkedToTable: boolean }>;
}

export type PrivilegeKind = "database" | "schema" | "table" | "column" | "sequence" | "function";
/** pg_default_acl.defaclobjtype */
export type DefaultObjectType = "r" | "S" | "f" | "T" | "n" | "L";

export interface PairFacts {
  database: string;
  serverVersionNum: number;
  users: [UserFacts, UserFacts];
  /** Row-level-security policies that name either user; `roles` are role names ("public" for PUBLIC). */
  policies: Array<{ table: string; name: string; roles: string[] }>;
  /** Roles among groupNameCandidates(…) that already exist (so a suggested group role is a new name). */
  existingRoles: string[];
}

const KIND_ORDER = new Map<DifferenceKind, number>(DIFFERENCE_KINDS.map((k, i) => [k, i]));

/** Names to suggest for a group role when the pair has none: `<common prefix>_owner`, then numbered. */
export function groupNameCandidates(u1: string, u2: string): string[] {
  let i = 0;
  while (i < u1.length && i < u2.length && u1[i] === u2[i]) i++;
  const prefix = u1.slice(0, i).replace(/[^A-Za-z0-9]+$/, "");
  const base = (prefix || "app").slice(0, 40);
  return [`${base}_owner`, ...Array.from({ length: 9 }, (_, n) => `${base}_owner_${n + 2}`)];
}

/** The differences between the two users of `facts`, and the SQL that removes each. */
export function comparePair(facts: PairFacts, opts: { owner?: string } = {}): PairCheckReport {
  const [a, b] = facts.users;
  const v16 = facts.serverVersionNum >= 160000;
  const out: Difference[] = [];

  const found = opts.owner ?? commonGroup(a, b);
  const groupRole = found ?? groupNameCandidates(a.name, b.name).find((n) => !facts.existingRoles.includes(n)) ?? null;

  out.push(...attributeDifferences(a, b));
  out.push(...membershipDifferences(a, b, v16));
  out.push(...settingDifferences(a, b));
  out.push(...tokenDifferences(privilegeFacts(a), privilegeFacts(b), a.name, b.name));
  out.push(...tokenDifferences(defaultPrivilegeFacts(a, b), defaultPrivilegeFacts(b, a), a.name, b.name));
  out.push(...policyDifferences(facts.policies, a.name, b.name));
  const owned = ownedDifferences(a, groupRole ?? "").concat(ownedDifferences(b, groupRole ?? ""));
  if (owned.length && !found && groupRole) out.push(groupRoleDifference(a.name, b.name, groupRole));
  out.push(...owned);

  out.sort((x, y) => KIND_ORDER.get(x.kind)! - KIND_ORDER.get(y.kind)! || x.object.localeCompare(y.object));
  return { interchangeable: out.length === 0, database: facts.database, groupRole, serverVersionNum: facts.serverVersionNum, differences: out };
}

/** The one NOLOGIN role both users are members of, if there is exactly one. */
function commonGroup(a: UserFacts, b: UserFacts): string | null {
  const groups = a.memberships.filter((m) => !m.roleCanLogin && b.memberships.some((x) => x.role === m.role)).map((m) => m.role);
  return groups.length === 1 ? groups[0] : null;
}

// ---- attributes ------------------------------------------------------------------------------------

function attributeDifferences(a: UserFacts, b: UserFacts): Difference[] {
  const out: Difference[] = [];
  for (const attr of BOOLEAN_ATTRIBUTES) {
    if (a.attributes[attr] === b.attributes[attr]) continue;
    const [has, lacks] = a.attributes[attr] ? [a, b] : [b, a];
    out.push({
      kind: "attribute",
      object: `role attribute ${attr}`,
      detail: `${q(has.name)} has ${attr}, ${q(lacks.name)} does not`,
      sql: `ALTER ROLE ${q(lacks.name)} ${attr};`,
    });
  }
  if (a.connectionLimit !== b.connectionLimit) {
    // The more permissive limit wins: -1 (none), else the larger.
    const [wins, loses] = a.connectionLimit === -1 || (b.connectionLimit !== -1 && a.connectionLimit > b.connectionLimit) ? [a, b] : [b, a];
    const limit = (u: UserFacts) => (u.connectionLimit === -1 ? "no connection limit" : `CONNECTION LIMIT ${u.connectionLimit}`);
    out.push({
      kind: "attribute",
      object: "role attribute CONNECTION LIMIT",
      detail: `${q(a.name)} has ${limit(a)}, ${q(b.name)} has ${limit(b)}`,
      sql: `ALTER ROLE ${q(loses.name)} CONNECTION LIMIT ${wins.connectionLimit};`,
    });
  }
  if ((a.validUntil?.epoch ?? null) !== (b.validUntil?.epoch ?? null)) {
    // The later expiry wins (never expiring is the latest).
    const later = !a.validUntil ? a : !b.validUntil ? b : a.validUntil.epoch > b.validUntil.epoch ? a : b;
    const earlier = later === a ? b : a;
    const until = (u: UserFacts) => (u.validUntil ? `VALID UNTIL ${quoteLiteral(u.validUntil.text)}` : "no expiry");
    out.push({
      kind: "attribute",
      object: "role attribute VALID UNTIL",
      detail: `${q(a.name)} has ${until(a)}, ${q(b.name)} has ${until(b)}: the one that expires first stops logging in first`,
      sql: `ALTER ROLE ${q(earlier.name)} VALID UNTIL ${quoteLiteral(later.validUntil?.text ?? "infinity")};`,
    });
  }
  return out;
}

// ---- memberships -----------------------------------------------------------------------------------

function membershipDifferences(a: UserFacts, b: UserFacts, v16: boolean): Difference[] {
  const out: Difference[] = [];
  // One user being a member of the other can never be made symmetric (membership loops are refused).
  for (const [self, other] of [[a, b], [b, a]] as const) {
    if (self.memberships.some((m) => m.role === other.name)) {
      out.push({
        kind: "membership",
        object: `membership of ${q(self.name)} in ${q(other.name)}`,
        detail: `${q(self.name)} is a member of ${q(other.name)}: the two users of a pair must not contain each other; put what they share in a group role`,
        sql: `REVOKE ${q(other.name)} FROM ${q(self.name)};`,
      });
    }
  }
  const tokens = (m: UserFacts["memberships"][number]) =>
    ["member", ...(m.admin ? ["ADMIN"] : []), ...(v16 && m.inherit ? ["INHERIT"] : []), ...(v16 && m.set ? ["SET"] : [])];
  const facts = (u: UserFacts, other: UserFacts) =>
    new Map(u.memberships.filter((m) => m.role !== other.name).map((m) => [m.role, tokens(m)]));
  const fa = facts(a, b);
  const fb = facts(b, a);
  const describe = (t: string[] | undefined) =>
    !t ? "is not a member" : `is a member${t.length > 1 ? ` with ${t.slice(1).join(", ")}` : ""}${v16 ? ` (without ${["ADMIN", "INHERIT", "SET"].filter((o) => !t.includes(o)).join(", ") || "nothing"})` : ""}`;
  for (const role of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const ta = fa.get(role);
    const tb = fb.get(role);
    if (ta && tb && ta.join() === tb.join()) continue;
    const grant = (to: UserFacts, has: string[] | undefined, from: string[]) => {
      if (!has) return `GRANT ${q(role)} TO ${q(to.name)}${withOptions(from, v16, true)};`;
      const missing = from.filter((t) => !has.includes(t));
      return missing.length ? `GRANT ${q(role)} TO ${q(to.name)}${withOptions(missing, v16, false)};` : null;
    };
    const sql = [ta ? grant(b, tb, ta) : null, tb ? grant(a, ta, tb) : null].filter((s): s is string => !!s);
    out.push({
      kind: "membership",
      object: `membership in ${q(role)}`,
      detail: `${q(a.name)} ${describe(ta)}; ${q(b.name)} ${describe(tb)}`,
      sql: sql.join("\n"),
    });
  }
  return out;
}

/** ` WITH ADMIN TRUE, INHERIT FALSE, …`: all three options when `full` (a new grant copies the other's), else the ones given. */
function withOptions(tokens: string[], v16: boolean, full: boolean): string {
  if (!v16) return tokens.includes("ADMIN") ? " WITH ADMIN OPTION" : "";
  const opts = (full ? ["ADMIN", "INHERIT", "SET"] : tokens.filter((t) => t !== "member")).map((o) => `${o} ${tokens.includes(o) ? "TRUE" : "FALSE"}`);
  return opts.length ? ` WITH ${opts.join(", ")}` : "";
}

// ---- settings --------------------------------------------------------------------------------------

/** Settings whose values are lists of identifiers (GUC_LIST_QUOTE): their stored text is already SQL list syntax. */
const LIST_QUOTE_SETTINGS = new Set(["search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries", "shared_preload_libraries"]);

function settingValueSql(name: string, value: string): string {
  return LIST_QUOTE_SETTINGS.has(name.toLowerCase()) && value !== "" ? value : quoteLiteral(value);
}

const settingName = (name: string): string => (/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/.test(name) ? name : q(name));

function settingDifferences(a: UserFacts, b: UserFacts): Difference[] {
  const key = (s: UserFacts["settings"][number]) => JSON.stringify([s.database, s.name]);
  const fa = new Map(a.settings.map((s) => [key(s), s]));
  const fb = new Map(b.settings.map((s) => [key(s), s]));
  const out: Difference[] = [];
  for (const k of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const sa = fa.get(k);
    const sb = fb.get(k);
    if (sa && sb && sa.value === sb.value) continue;
    // username1's value wins when both set it.
    const [from, to] = sa ? [sa, b] : [sb!, a];
    const where = from.database === null ? "" : ` IN DATABASE ${q(from.database)}`;
    const show = (s: typeof sa) => (s ? `sets ${from.name} = ${JSON.stringify(s.value)}` : "does not set it");
    out.push({
      kind: "setting",
      object: `setting ${from.name}${from.database === null ? "" : ` in database ${q(from.database)}`}`,
      detail: `${q(a.name)} ${show(sa)}; ${q(b.name)} ${show(sb)}`,
      sql: `ALTER ROLE ${q(to.name)}${where} SET ${settingName(from.name)} = ${settingValueSql(from.name, from.value)};`,
    });
  }
  return out;
}

// ---- privileges and default privileges: sets of tokens per object ------------------------------------

/**
 * One object's rights for one user, seen from that user: role names that are the pair itself are replaced by
 * SELF / OTHER, so "u1 may read what u2 creates" and "u2 may read what u1 creates" are the same fact.
 */
interface TokenFact {
  kind: DifferenceKind;
  key: string;
  tokens: Set<string>;
  /** The object as shown (self, other: the pair's names in this fact's perspective). */
  object(self: string, other: string): string;
  /** The statement that gives `self` the `tokens` (privileges; "X*" = with grant option). */
  grant(self: string, other: string, tokens: string[]): string;
}

const SELF = "\u0000self";
const OTHER = "\u0000other";

function tokenDifferences(fa: Map<string, TokenFact>, fb: Map<string, TokenFact>, a: string, b: string): Difference[] {
  const out: Difference[] = [];
  for (const key of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    const A = fa.get(key);
    const B = fb.get(key);
    const ta = A?.tokens ?? new Set<string>();
    const tb = B?.tokens ?? new Set<string>();
    const bLacks = [...ta].filter((t) => !tb.has(t)).sort();
    const aLacks = [...tb].filter((t) => !ta.has(t)).sort();
    if (!bLacks.length && !aLacks.length) continue;
    const fact = (A ?? B)!;
    const sql = [bLacks.length ? A!.grant(b, a, bLacks) : null, aLacks.length ? B!.grant(a, b, aLacks) : null].filter((s): s is string => !!s);
    const has = (name: string, t: Set<string>) => (t.size ? `${q(name)} has ${showTokens([...t].sort())}` : `${q(name)} has none`);
    out.push({ kind: fact.kind, object: fact.object(a, b), detail: `${has(a, ta)}; ${has(b, tb)}`, sql: sql.join("\n") });
  }
  return out;
}

const showTokens = (tokens: string[]) => tokens.map((t) => (t.endsWith("*") ? `${t.slice(0, -1)} (with grant option)` : t)).join(", ");

/** `GRANT p1, p2 …` and a second statement for the ones with grant option. */
function grantStatements(tokens: string[], on: (privs: string) => string, to: string): string {
  const plain = tokens.filter((t) => !t.endsWith("*"));
  const withOption = tokens.filter((t) => t.endsWith("*")).map((t) => t.slice(0, -1));
  return [
    plain.length ? `GRANT ${on(plain.join(", "))} TO ${to};` : null,
    withOption.length ? `GRANT ${on(withOption.join(", "))} TO ${to} WITH GRANT OPTION;` : null,
  ].filter((s): s is string => !!s).join("\n");
}

const PRIVILEGE_TARGET: Record<PrivilegeKind, string> = {
  database: "DATABASE",
  schema: "SCHEMA",
  table: "TABLE",
  column: "TABLE",
  sequence: "SEQUENCE",
  function: "ROUTINE",
};

function privilegeFacts(u: UserFacts): Map<string, TokenFact> {
  const facts = new Map<string, TokenFact>();
  for (const p of u.privileges) {
    const key = JSON.stringify([p.kind, p.object, p.column]);
    let f = facts.get(key);
    if (!f) {
      const label = p.column === null ? `${p.kind} ${p.object}` : `column ${p.column} of table ${p.object}`;
      f = {
        kind: `${p.kind}-privilege`,
        key,
        tokens: new Set(),
        object: () => label,
        grant: (self, _o, tokens) =>
          grantStatements(tokens, (privs) => `${p.column === null ? privs : privs.split(", ").map((x) => `${x} (${p.column})`).join(", ")} ON ${PRIVILEGE_TARGET[p.kind]} ${p.object}`, q(self)),
      };
      facts.set(key, f);
    }
    f.tokens.add(p.privilege + (p.grantable ? "*" : ""));
  }
  return facts;
}

const DEFAULT_OBJECTS: Record<DefaultObjectType, string> = { r: "TABLES", S: "SEQUENCES", f: "FUNCTIONS", T: "TYPES", n: "SCHEMAS", L: "LARGE OBJECTS" };

function defaultPrivilegeFacts(u: UserFacts, other: UserFacts): Map<string, TokenFact> {
  const facts = new Map<string, TokenFact>();
  const sub = (role: string) => (role === u.name ? SELF : role === other.name ? OTHER : role);
  const back = (role: string, self: string, oth: string) => (role === SELF ? self : role === OTHER ? oth : role);
  const roleSql = (role: string) => (role === "PUBLIC" ? "PUBLIC" : q(role));
  for (const d of u.defaultPrivileges) {
    if (d.grantee === d.owner) continue; // the creator's own rights on its objects are implied
    const owner = sub(d.owner);
    const grantee = sub(d.grantee);
    const key = JSON.stringify([owner, d.schema, d.objtype, grantee]);
    let f = facts.get(key);
    if (!f) {
      const inSchema = d.schema === null ? "" : ` IN SCHEMA ${q(d.schema)}`;
      f = {
        kind: "default-privilege",
        key,
        tokens: new Set(),
        object: (self, oth) =>
          `default privileges on ${DEFAULT_OBJECTS[d.objtype].toLowerCase()} created by ${q(back(owner, self, oth))}${d.schema === null ? "" : ` in schema ${q(d.schema)}`} for ${roleSql(back(grantee, self, oth))}`,
        grant: (self, oth, tokens) =>
          grantStatements(
            tokens,
            (privs) => `${privs} ON ${DEFAULT_OBJECTS[d.objtype]}`,
            roleSql(back(grantee, self, oth)),
          ).replace(/^GRANT /gm, `ALTER DEFAULT PRIVILEGES FOR ROLE ${q(back(owner, self, oth))}${inSchema} GRANT `),
      };
      facts.set(key, f);
    }
    f.tokens.add(d.privilege + (d.grantable ? "*" : ""));
  }
  return facts;
}

// ---- row-level security ----------------------------------------------------------------------------

function policyDifferences(policies: PairFacts["policies"], a: string, b: string): Difference[] {
  const out: Difference[] = [];
  for (const p of policies) {
    const hasA = p.roles.includes(a);
    const hasB = p.roles.includes(b);
    if (hasA === hasB) continue;
    const [named, missing] = hasA ? [a, b] : [b, a];
    const roles = [...p.roles, missing].map((r) => (r === "public" ? "PUBLIC" : q(r))).join(", ");
    out.push({
      kind: "policy",
      object: `policy ${p.name} on table ${p.table}`,
      detail: `the row-level-security policy names ${q(named)} but not ${q(missing)}`,
      sql: `ALTER POLICY ${p.name} ON ${p.table} TO ${roles};`,
    });
  }
  return out;
}

// ---- owned objects ---------------------------------------------------------------------------------

/** pg_identify_object types and the ALTER that changes their owner. */
const ALTER_OWNER: Record<string, string> = {
  table: "TABLE",
  view: "VIEW",
  "materialized view": "MATERIALIZED VIEW",
  sequence: "SEQUENCE",
  "foreign table": "FOREIGN TABLE",
  function: "ROUTINE",
  procedure: "ROUTINE",
  aggregate: "ROUTINE",
  schema: "SCHEMA",
  type: "TYPE",
  domain: "DOMAIN",
  database: "DATABASE",
  tablespace: "TABLESPACE",
};
/** Owned through pg_shdepend but compared elsewhere (default privileges) or owned with their table. */
const NOT_OWNED_OBJECTS = new Set(["default acl"]);

function ownedDifferences(u: UserFacts, group: string): Difference[] {
  const out: Difference[] = [];
  const g = group ? q(group) : "<group role>";
  const others = new Map<string, number>();
  let unnamed = 0;
  for (const o of u.owned) {
    if (!o.here) {
      const db = o.database ?? "(unknown)";
      others.set(db, (others.get(db) ?? 0) + 1);
      continue;
    }
    if (o.linkedToTable || (o.type && NOT_OWNED_OBJECTS.has(o.type))) continue;
    const alter = o.type ? ALTER_OWNER[o.type] : undefined;
    if (!alter || !o.identity) {
      unnamed++;
      continue;
    }
    out.push({
      kind: "owned-object",
      object: `${o.type} ${o.identity}`,
      detail: `owned by ${q(u.name)}: the other user cannot alter or drop it, and objects it creates are its own; the group role should own it`,
      sql: `ALTER ${alter} ${o.identity} OWNER TO ${g};`,
    });
  }
  if (unnamed) {
    out.push({
      kind: "owned-object",
      object: `${unnamed} other object(s) owned by ${q(u.name)}`,
      detail: `owned by ${q(u.name)} (e.g. large objects, operators, publications); REASSIGN OWNED moves every object it owns in this database`,
      sql: `REASSIGN OWNED BY ${q(u.name)} TO ${g};`,
    });
  }
  for (const [db, n] of [...others].sort()) {
    out.push({
      kind: "owned-object",
      object: `${n} object(s) owned by ${q(u.name)} in database ${q(db)}`,
      detail: `owned by ${q(u.name)} in another database (not checked here); run the statement connected to database ${q(db)}`,
      sql: `REASSIGN OWNED BY ${q(u.name)} TO ${g};`,
    });
  }
  return out;
}

function groupRoleDifference(a: string, b: string, group: string): Difference {
  const g = q(group);
  return {
    kind: "group-role",
    object: `group role ${g}`,
    detail: `${q(a)} and ${q(b)} own objects but share no group role to own them; create one that both use for every session (as pgrotate setup-sql does)`,
    sql: [
      `CREATE ROLE ${g} NOLOGIN;`,
      `GRANT ${g} TO ${q(a)};`,
      `GRANT ${g} TO ${q(b)};`,
      `ALTER ROLE ${q(a)} SET role = ${quoteLiteral(group)};`,
      `ALTER ROLE ${q(b)} SET role = ${quoteLiteral(group)};`,
    ].join("\n"),
  };
}
